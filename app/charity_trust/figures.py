"""Charity-trust figures of a region and year: counts and amounts filed and in force."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.core.money import FenMoney


# Built from the repository's fen sums (plain integers); the amounts render as yuan.
class TrustFigures(BaseModel):
    count: int = Field(description="Trusts filed on or before `as_of` (terminated ones included).")
    filed_in_year_count: int
    filed_in_year_amount: FenMoney = Field(description="Initial amounts of the trusts filed in `year`.")
    in_force_count: int
    in_force_amount: FenMoney = Field(
        description="Property of the trusts in force on `as_of`, as of that day (initial amount "
        "plus the property changes in effect by then)."
    )


class RegionFigures(TrustFigures):
    region_code: str
    name: str


class TrustStats(TrustFigures):
    region_code: str
    year: int
    as_of: date = Field(description="31 December of `year`, or today for the current year.")
    direct: TrustFigures = Field(description="Trusts filed with this region's own authority.")
    by_region: list[RegionFigures] = Field(description="One entry per child region.")
    annual_reports_overdue: int = Field(
        description="Trusts in force at the end of `year` with no report on `year` after its due "
        "date (30 April of the next year); 0 before that date."
    )
