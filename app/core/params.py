"""Query parameters shared by every list: the same name, pattern and meaning everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field

from app.core.validators import REGION_PATTERN, normalize_region_code

REGION_FILTER = "Only records inside this region (6 or 12 digits; default: your scope)"

RegionQuery = Annotated[str | None, Query(pattern=REGION_PATTERN, description=REGION_FILTER)]
"""The ``region_code`` filter of a list."""

RegionPath = Annotated[str, Path(pattern=REGION_PATTERN, description="6- or 12-digit region code")]
"""A region code in a path."""


def _region_or_none(value: str | None) -> str | None:
    return normalize_region_code(value) if value else None


RegionFilter = Annotated[
    str | None, Field(pattern=REGION_PATTERN, description=REGION_FILTER), AfterValidator(_region_or_none)
]
"""The ``region_code`` field of a list's filter model (read with ``Query()``): the same
parameter as :data:`RegionQuery`, normalised to 12 digits once parsed."""
