"""Region request and response bodies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.core.validators import REGION_PATTERN, Day, RegionCode, normalize_region_code

Level = Literal["province", "city", "county", "township", "village"]


class RegionRef(BaseModel):
    code: str
    name: str
    level: str


class RegionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    version: int


class RegionDetail(RegionRead):
    ancestors: list[RegionRef]
    children: list[RegionRef]


class RegionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: RegionCode
    name: str = Field(min_length=1, max_length=100)
    valid_from: date | None = None
    valid_to: date | None = None


class RegionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    valid_from: date | None = None
    valid_to: date | None = None


def _code_or_none(value: str | None) -> str | None:
    return normalize_region_code(value) if value else None


class RegionListFilter(BaseModel):
    """The filters of ``GET /regions``, read from the query string (unknown parameters are
    ignored) and passed whole to the repository; ``parent`` is normalised to 12 digits."""

    parent: Annotated[str | None, Field(pattern=REGION_PATTERN), AfterValidator(_code_or_none)] = None
    level: Level | None = None
    q: str | None = Field(
        default=None, min_length=1, max_length=50, description="Name contains, or code starts with"
    )
    valid_on: Day | None = None
