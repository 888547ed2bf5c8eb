"""Charity-trust statistics over a region and its children, and the figure behind the
``charity_trust_scale`` indicator (seed clause 9: a total trust scale above 10 million yuan).

Definitions (the rules are in :mod:`app.charity_trust.amounts`; the SQL mirrors them):

- ``as_of``: 31 December of ``year``, or today for the current year.
- ``count``: trusts filed on or before ``as_of`` (drafts never count; later terminations do).
- ``filed_in_year_count`` / ``filed_in_year_amount``: trusts whose filing date falls in ``year``
  and the sum of their *initial* amounts.
- ``in_force_count`` / ``in_force_amount``: trusts filed on or before ``as_of`` and not
  terminated by then (terminated after ``as_of``, or not at all), and the sum of each one's
  amount *as of* ``as_of``: its initial amount plus the property changes that took effect on or
  before that day. For the current year this equals the sum of ``current_amount`` unless a
  change takes effect in the future.
- ``annual_reports_overdue``: trusts still filed that were filed by the end of ``year`` and
  have no annual report on ``year`` once its due date (30 April of the next year, see
  :mod:`app.charity_trust.deadlines`) has passed; 0 before then.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.charity_trust import amounts, deadlines
from app.charity_trust.figures import RegionFigures, TrustFigures, TrustStats
from app.charity_trust.repository import FigureRow, TrustRepository, in_force_query
from app.core.errors import NotFound, Unprocessable
from app.core.money import from_fen
from app.core.validators import normalize_region_code
from app.region import service as regions
from app.security.principal import Principal
from app.security.scope import region_prefix

_SEGMENT_ENDS = (2, 4, 6, 9, 12)


def _child_key_length(prefix: str) -> int:
    """Length of a child region's prefix (a village has no children: its own length)."""
    return next((end for end in _SEGMENT_ENDS if end > len(prefix)), len(prefix))


def _figures(rows: list[FigureRow]) -> TrustFigures:
    return TrustFigures(
        count=sum(r.count for r in rows),
        filed_in_year_count=sum(r.filed_in_year_count for r in rows),
        filed_in_year_amount=sum(r.filed_in_year_fen for r in rows),
        in_force_count=sum(r.in_force_count for r in rows),
        in_force_amount=sum(r.in_force_fen for r in rows),
    )


async def stats(
    session: AsyncSession, principal: Principal, region_code: str | None, year: int | None, today: date
) -> TrustStats:
    code = region_code or normalize_region_code(principal.region)
    if year is None:
        year = today.year
    if year > today.year:
        raise Unprocessable.at(("query", "year"), f"{year} has not begun")
    if not principal.covers(code):
        raise NotFound(f"no region {code}")
    await regions.require_region(session, code, loc=("query", "region_code"))
    as_of = amounts.as_of_for_year(year, today)
    prefix = region_prefix(code)
    key_length = _child_key_length(prefix)
    repo = TrustRepository(session)
    rows = await repo.figures(code, key_length, year, as_of)
    by_key = {r.key: r for r in rows}
    children = await regions.children_of(session, code)
    by_region = []
    for child in children:
        found = by_key.get(region_prefix(child.code)[:key_length])
        figures = _figures([found] if found else [])
        by_region.append(RegionFigures(region_code=child.code, name=child.name, **figures.model_dump()))
    own = by_key.get(prefix.ljust(key_length, "0"))
    direct = _figures([own] if own else [])
    overdue = 0
    if deadlines.report_overdue(year, today):
        overdue = await repo.count_missing_reports(code, year)
    return TrustStats(
        region_code=code,
        year=year,
        as_of=as_of,
        **_figures(rows).model_dump(),
        direct=direct,
        by_region=by_region,
        annual_reports_overdue=overdue,
    )


async def in_force_amount(session: AsyncSession, region_code: str, as_of: date) -> Decimal:
    """Property of the charity trusts filed inside ``region_code`` that are in force on
    ``as_of``, as of that day (the ``charity_trust_scale`` indicator's value, yuan)."""
    prefix = region_prefix(region_code)
    rows = await TrustRepository(session).figures(region_code, len(prefix), as_of.year, as_of)
    return from_fen(sum(r.in_force_fen for r in rows))


def in_force_amount_query(region_code: str, as_of: date) -> Select[Any]:
    """A selection (not run) of one row that :func:`in_force_amount_of` turns into the figure
    :func:`in_force_amount` gives — for other domains to run beside their own selections."""
    return in_force_query(region_code, as_of)


def in_force_amount_of(fen: int | None) -> Decimal:
    """The amount (yuan) from the fen :func:`in_force_amount_query` selects."""
    return from_fen(int(fen or 0))
