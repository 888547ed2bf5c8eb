"""Computed indicators: figures taken from live data instead of reports.

``COMPUTATIONS`` maps a name (an indicator's ``computed_by``) to an async function
``(session, region_code, period, as_of) -> Decimal | Figure | None`` giving the region's figure
(its whole subtree); a ratio indicator answers a :class:`Figure` with numerator and denominator
so that it rolls up like reported ratios. An indicator whose computation answers None falls
back to reports.

To add one: write the function over the owning domain's service (never its repository) and
register it in ``COMPUTATIONS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import service as assessments
from app.care import statistics as care
from app.charity_trust import stats as charity_trusts
from app.indicator.period import parse_period
from app.indicator.rollup import Figure
from app.standard import service as standards

Computation = Callable[[AsyncSession, str, str, date], Awaitable[Decimal | Figure | None]]


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


async def assistance_service_items(
    session: AsyncSession, region_code: str, period: str, as_of: date
) -> Decimal | None:
    """The distinct need types (助医, 助学, 照护 …) the active resources serving the region cover
    (a city's resources serve its counties too); None before any resource is registered."""
    covered = await care.service_items(session, region_code)
    return Decimal(covered) if covered else None


async def visit_coverage(session: AsyncSession, region_code: str, period: str, as_of: date) -> Figure | None:
    """People under a visit rule whose visit is not overdue on ``as_of`` over the people under a
    visit rule; None when nobody is."""
    on_time, total = await care.visit_coverage(session, region_code, as_of)
    return Figure(numerator=Decimal(on_time), denominator=Decimal(total)) if total else None


async def referral_closure_rate(
    session: AsyncSession, region_code: str, period: str, as_of: date
) -> Figure | None:
    """Referrals dispatched in the period (up to ``as_of``) that were served by ``as_of`` over
    the referrals dispatched; None when there were none."""
    served, dispatched = await care.referral_closure(session, region_code, parse_period(period).start, as_of)
    return Figure(numerator=Decimal(served), denominator=Decimal(dispatched)) if dispatched else None


COMPUTATIONS: dict[str, Computation] = {
    "assistance_service_items": assistance_service_items,
    "visit_coverage": visit_coverage,
    "referral_closure_rate": referral_closure_rate,
    "elderly_assessment_current_share": elderly_assessment_current_share,
    "dibao_annual_standard": dibao_annual_standard,
    "charity_trust_scale": charity_trust_scale,
}


# Computations whose figure for a region counts its whole subtree (records filed anywhere
# inside it, and for resources also those above it), so that None for a region means None for
# every region below it: the roll-up does not ask the children again. The dibao standard is
# not one of them (a county may set its own where the city has none).
COVERS_SUBTREE: frozenset[str] = frozenset(
    {
        "assistance_service_items",
        "visit_coverage",
        "referral_closure_rate",
        "elderly_assessment_current_share",
        "charity_trust_scale",
    }
)


def computation(name: str | None) -> Computation | None:
    """The registered computation of that name, or None (the indicator uses reports)."""
    return COMPUTATIONS.get(name) if name else None
