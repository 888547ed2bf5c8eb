"""Computed indicators: figures taken from live data instead of reports.

``COMPUTATIONS`` maps a name (an indicator's ``computed_by``) to an async function
``(session, region_code, period, as_of) -> Decimal | None`` giving the region's figure. A
computation answers for the whole region. An indicator whose computation is not registered on
this node (its domain has not landed here) falls back to reports.

To add one: write the function over the owning domain's service (never its repository) and
register it below, guarded like ``charity_trust_scale`` when that domain may be absent.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.standard import service as standards

Computation = Callable[[AsyncSession, str, str, date], Awaitable[Decimal | None]]

_CHARITY_SERVICE = "app.charity_trust.service"


async def dibao_annual_standard(
    session: AsyncSession, region_code: str, period: str, as_of: date
) -> Decimal | None:
    """The annual dibao standard in force for the region on ``as_of``."""
    return await standards.effective_value(session, "dibao_annual", region_code, as_of)


async def charity_trust_scale(
    session: AsyncSession, region_code: str, period: str, as_of: date
) -> Decimal | None:
    """The amount of charity trusts in force in the region on ``as_of``."""
    charity = importlib.import_module(_CHARITY_SERVICE)
    amount = await charity.in_force_amount(session, region_code, as_of)
    return None if amount is None else Decimal(str(amount))


def module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent package is absent
        return False


def _registry() -> dict[str, Computation]:
    found: dict[str, Computation] = {"dibao_annual_standard": dibao_annual_standard}
    if module_available(_CHARITY_SERVICE):
        found["charity_trust_scale"] = charity_trust_scale
    return found


COMPUTATIONS: dict[str, Computation] = _registry()


def computation(name: str | None) -> Computation | None:
    """The registered computation of that name, or None (the indicator uses reports)."""
    return COMPUTATIONS.get(name) if name else None
