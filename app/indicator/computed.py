"""Computed indicators: figures taken from live data instead of reports.

``COMPUTATIONS`` maps a name (an indicator's ``computed_by``) to an async function
``(session, region_code, period, as_of) -> Decimal | None`` giving the region's figure (its
whole subtree). An indicator whose computation answers None falls back to reports.

To add one: write the function over the owning domain's service (never its repository) and
register it in ``COMPUTATIONS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import service as assessments
from app.charity_trust import stats as charity_trusts
from app.standard import service as standards

Computation = Callable[[AsyncSession, str, str, date], Awaitable[Decimal | None]]


async def dibao_annual_standard(
    session: AsyncSession, region_code: str, period: str, as_of: date
) -> Decimal | None:
    """The annual dibao standard in force for the region on ``as_of``."""
    return await standards.effective_value(session, "dibao_annual", region_code, as_of)


async def charity_trust_scale(
    session: AsyncSession, region_code: str, period: str, as_of: date
) -> Decimal | None:
    """The amount of charity trusts in force in the region (and below it) on ``as_of``."""
    return await charity_trusts.in_force_amount(session, region_code, as_of)


async def elderly_assessment_current_share(
    session: AsyncSession, region_code: str, period: str, as_of: date
) -> Decimal | None:
    """Percentage of assessed elderly people whose latest assessment is still in force (not yet
    due again) on ``as_of``; None before anyone is assessed."""
    current, assessed = await assessments.share_assessed(session, region_code, as_of)
    if not assessed:
        return None
    return (Decimal(current) * 100 / Decimal(assessed)).quantize(Decimal("0.01"))


COMPUTATIONS: dict[str, Computation] = {
    "elderly_assessment_current_share": elderly_assessment_current_share,
    "dibao_annual_standard": dibao_annual_standard,
    "charity_trust_scale": charity_trust_scale,
}


def computation(name: str | None) -> Computation | None:
    """The registered computation of that name, or None (the indicator uses reports)."""
    return COMPUTATIONS.get(name) if name else None
