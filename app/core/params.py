"""Query parameters shared by every list: the same name, pattern and meaning everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.validators import REGION_PATTERN

RegionQuery = Annotated[
    str | None,
    Query(
        pattern=REGION_PATTERN,
        description="Only records inside this region (6 or 12 digits; default: your scope)",
    ),
]
"""The ``region_code`` filter of a list."""
