"""Computed indicators: figures taken from live data instead of reports.

``COMPUTATIONS`` maps a name (an indicator's ``computed_by``) to an async function
``(session, region_code, period, as_of) -> Decimal | Figure | None`` giving the region's figure
(its whole subtree); a ratio indicator answers a :class:`Figure` with numerator and denominator
so that it rolls up like reported ratios. An indicator whose computation answers None falls
back to reports.

To add one: write the function over the owning domain's service (never its repository) and
register it in ``COMPUTATIONS``; or, when the figure is one row that the owning domain's service
can give as a selection (not run), register that selection and its reading in ``SELECTED``:
the dashboard then asks it in one statement with the others (:func:`compute_all`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import service as assessments
from app.care import statistics as care
from app.charity_trust import stats as charity_trusts
from app.indicator.period import parse_period
from app.indicator.repository import one_row, side_by_side
from app.indicator.rollup import Figure
from app.standard import service as standards

Answer = Decimal | Figure | None
Computation = Callable[[AsyncSession, str, str, date], Awaitable[Answer]]


@dataclass(frozen=True, slots=True)
class Selected:
    """A computation that is one selection of one row (from the owning domain's service, not
    run) and the reading of that row: run alone, or beside the other computations a request asks
    in one statement (:func:`compute_all`)."""

    select: Callable[[str, str, date], Select[Any]]
    """``(region_code, period, as_of)`` → the selection."""
    read: Callable[[Sequence[Any]], Answer]
    """The selection's row → the figure."""


def _closure(row: Sequence[Any]) -> Answer:
    served, dispatched = int(row[0] or 0), int(row[1])
    return Figure(numerator=Decimal(served), denominator=Decimal(dispatched)) if dispatched else None


def _standard(row: Sequence[Any]) -> Answer:
    return Decimal(row[0]) if row[0] is not None else None


def _service_items(row: Sequence[Any]) -> Answer:
    covered = care.service_items_counted(row[0])
    return Decimal(covered) if covered else None


SELECTED: dict[str, Selected] = {
    # The annual dibao standard in force for the region on ``as_of``.
    "dibao_annual_standard": Selected(
        lambda region, period, on: standards.effective_value_query("dibao_annual", region, on), _standard
    ),
    # The amount of charity trusts in force in the region (and below it) on ``as_of``.
    "charity_trust_scale": Selected(
        lambda region, period, on: charity_trusts.in_force_amount_query(region, on),
        lambda row: charity_trusts.in_force_amount_of(row[0]),
    ),
    # The distinct need types (助医, 助学, 照护 …) the active resources serving the region cover
    # (a city's resources serve its counties too); None before any resource is registered.
    "assistance_service_items": Selected(
        lambda region, period, on: care.service_items_query(region), _service_items
    ),
    # Referrals dispatched in the period (up to ``as_of``) that were served by ``as_of`` over
    # the referrals dispatched; None when there were none.
    "referral_closure_rate": Selected(
        lambda region, period, on: care.referral_closure_query(region, parse_period(period).start, on),
        _closure,
    ),
}


def _alone(selected: Selected) -> Computation:
    async def compute(session: AsyncSession, region_code: str, period: str, as_of: date) -> Answer:
        row = await one_row(session, side_by_side([selected.select(region_code, period, as_of)]))
        return selected.read(row)

    return compute


async def elderly_assessment_current_share(
    session: AsyncSession, region_code: str, period: str, as_of: date
) -> Decimal | None:
    """Percentage of assessed elderly people whose latest assessment is still in force (not yet
    due again) on ``as_of``; None before anyone is assessed."""
    current, assessed = await assessments.share_assessed(session, region_code, as_of)
    if not assessed:
        return None
    return (Decimal(current) * 100 / Decimal(assessed)).quantize(Decimal("0.01"))


async def visit_coverage(session: AsyncSession, region_code: str, period: str, as_of: date) -> Figure | None:
    """People under a visit rule whose visit is not overdue on ``as_of`` over the people under a
    visit rule; None when nobody is."""
    on_time, total = await care.visit_coverage(session, region_code, as_of)
    return Figure(numerator=Decimal(on_time), denominator=Decimal(total)) if total else None


COMPUTATIONS: dict[str, Computation] = {
    "visit_coverage": visit_coverage,
    "elderly_assessment_current_share": elderly_assessment_current_share,
    **{name: _alone(selected) for name, selected in SELECTED.items()},
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


_Ask = tuple[str, str, str, date]


@functools.lru_cache(maxsize=256)
def _side_by_side(asks: tuple[_Ask, ...]) -> tuple[Select[Any], tuple[int, ...]]:
    """The statement of the selected computations ``asks`` and each one's number of columns,
    built once for the same asks (the statement holds their values, nothing read)."""
    selections = [SELECTED[name].select(region, period, on) for name, region, period, on in asks]
    return side_by_side(selections), tuple(len(s.selected_columns) for s in selections)


async def compute_all(session: AsyncSession, asks: Sequence[_Ask]) -> list[Answer]:
    """The figures of several computations ``(name, region_code, period, as_of)``, in order:
    those that are one selection in one statement together, the others one at a time."""
    answers: list[Answer] = [None] * len(asks)
    batched = [i for i, ask in enumerate(asks) if ask[0] in SELECTED]
    if batched:
        statement, widths = _side_by_side(tuple(asks[i] for i in batched))
        row = await one_row(session, statement)
        position = 0
        for i, width in zip(batched, widths, strict=True):
            answers[i] = SELECTED[asks[i][0]].read(row[position : position + width])
            position += width
    for i, (name, region, period, on) in enumerate(asks):
        if name not in SELECTED:
            answers[i] = await COMPUTATIONS[name](session, region, period, on)
    return answers
