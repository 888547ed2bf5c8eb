"""The filters of the address list, read from the query string in one model (``schemas.py``
holds the bodies) and passed whole from the router through the service to the search.

Road, compound and code are normalised like the register once parsed; a road or compound with
nothing left after that (punctuation only) is kept as ``""``, which matches nothing. The words of
``q`` are the service's to derive and hand the search beside the model.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from app.address.normalize import normalize_text
from app.address.schemas import StatusName
from app.core.params import RegionFilter


def _normalized(value: str | None) -> str | None:
    return normalize_text(value) if value else value


def _code(value: str | None) -> str | None:
    return value.strip().upper() if value else value


Place = Annotated[str | None, Field(min_length=1, max_length=50), AfterValidator(_normalized)]


class AddressFilter(BaseModel):
    """The filters of ``GET /addresses`` (unknown parameters are ignored)."""

    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Words that must all occur in the full name or an alias (normalised like "
        "the register: 三单元 finds 3单元).",
    )
    region_code: RegionFilter = None
    road: Place = None
    compound: Place = None
    status: StatusName | None = None
    code: Annotated[
        str | None,
        Field(min_length=10, max_length=30, description="Address or plate code"),
        AfterValidator(_code),
    ] = None
