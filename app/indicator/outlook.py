"""Projecting an indicator to the end of its period (no database: the forecast endpoint and
the dashboard's ``order=shortfall`` use it).

Methods, by aggregation:

- ``sum`` → ``linear``: a cumulative count from the period's start grows at the pace it has
  kept so far. A region's own figure reported (or computed) for day *d* is projected to
  ``value × days in the period / days from the start to d``, both counted inclusively (the
  same elapsed share the traffic lights use, so a ``yellow`` figure as of its own day is one
  that will meet its target). A figure for the period's last day or later is final. A region
  whose actual comes from its children adds the children's projections, as the roll-up adds
  their actuals. A figure computed from live data is a level that does not start the period
  at zero (``charity_trust_scale``: the property of the trusts in force), so its *growth*
  since the period's start is what keeps its pace: ``base + (value − base) × days in the
  period / days to d``, the base being the computation on the day before the period begins.
- ``ratio``, ``min``, ``none`` → ``carried``: the last value is carried to the period's end. A
  rate has no pace to extrapolate (Σnumerator/Σdenominator moves both ways), a standard
  (``min``) is set rather than accumulated, and a ``none`` figure is a one-off count reported
  at one level; projecting any of them linearly would invent progress.

``will_meet`` compares the projection with the target by the indicator's comparator; it is
null when there is no projection or no target. ``shortfall`` is how far the projection falls
short of the target in the indicator's unit (``target − projected``; ``projected − target``
for ``lte``; the distance either way for ``eq``), 0 when it will be met; ``shortfall_rate`` is
that over the target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from app.indicator.figures import rounded_text
from app.indicator.models import Indicator
from app.indicator.period import Period
from app.indicator.rollup import Actual, Figure, NodeTarget, RegionNode, node_targets, roll_up
from app.indicator.schemas import RegionOutlook
from app.indicator.status import is_met
from app.security.scope import ancestors

Method = Literal["linear", "carried"]


@dataclass(frozen=True, slots=True)
class Outlook:
    actual: Actual
    target: Decimal | None
    projected: Decimal | None
    will_meet: bool | None
    shortfall: Decimal | None
    shortfall_rate: Decimal | None
    method: Method


def method_of(aggregation: str) -> Method:
    return "linear" if aggregation == "sum" else "carried"


def project(aggregation: str, figure: Figure, period: Period, base: Figure | None = None) -> Figure:
    """A region's own figure carried or extrapolated to the period's last day (``base``: its
    value when the period began, where it does not begin at zero)."""
    if method_of(aggregation) == "carried" or figure.value is None or figure.on is None:
        return figure
    if figure.on >= period.end or figure.on < period.start:
        return figure
    return Figure(value=linear_value(figure.value, figure.on, period, base), on=period.end)


def linear_value(value: Decimal, on: date, period: Period, base: Figure | None = None) -> Decimal:
    """``value`` as of ``on`` (inside the period, before its last day) kept at its pace to the
    period's last day: the linear projection's value."""
    elapsed = (on - period.start).days + 1
    start = base.value if base is not None and base.value is not None else Decimal(0)
    return start + (value - start) * period.days / elapsed


def shortfall(comparator: str, projected: Decimal, target: Decimal) -> Decimal:
    if is_met(comparator, projected, target):
        return Decimal(0)
    if comparator == "lte":
        return projected - target
    if comparator == "eq":
        return abs(target - projected)
    return max(target - projected, Decimal(0))


def outlook(
    comparator: str, method: Method, actual: Actual, target: Decimal | None, projected: Decimal | None
) -> Outlook:
    """One region's outlook from its actual, its target and its projected value."""
    if projected is None or target is None:
        return Outlook(actual, target, projected, None, None, None, method)
    short = shortfall(comparator, projected, target)
    rate = short / target if target != 0 else None
    return Outlook(actual, target, projected, is_met(comparator, projected, target), short, rate, method)


def outlooks(
    aggregation: str,
    comparator: str,
    scale: int,
    tree: RegionNode,
    figures: Mapping[str, Figure],
    targets: Mapping[str, Decimal],
    above: Decimal | None,
    period: Period,
    *,
    computed: bool,
    bases: Mapping[str, Figure] | None = None,
    rolled: tuple[Mapping[str, Actual], Mapping[str, NodeTarget]] | None = None,
) -> dict[str, Outlook]:
    """Every region's actual, target and projection (``above``: the nearest target above the
    tree's root, which rates and standards inherit; ``bases``: each region's figure when the
    period began, for figures that do not start it at zero; ``rolled``: the actuals and targets
    of the same figures already rolled up, not walked again)."""
    actuals, goals = rolled or (
        roll_up(aggregation, tree, figures, scale=scale, prefer_own=computed),
        node_targets(aggregation, tree, targets, above),
    )
    start = bases or {}
    projected_figures = {
        code: project(aggregation, figure, period, start.get(code)) for code, figure in figures.items()
    }
    projections = roll_up(aggregation, tree, projected_figures, scale=scale, prefer_own=computed)
    method = method_of(aggregation)
    return {
        code: outlook(comparator, method, actual, goals[code].value, projections[code].value)
        for code, actual in actuals.items()
    }


def shortfall_order(code: str, outlook: Outlook) -> tuple[int, Decimal, Decimal, str]:
    """Sort key: projected misses first, the largest shortfall relative to the target first
    (then in the indicator's unit), then those that will meet, then those with no forecast."""
    rank = {False: 0, True: 1, None: 2}[outlook.will_meet]
    return (
        rank,
        -(outlook.shortfall_rate or Decimal(0)),
        -(outlook.shortfall or Decimal(0)),
        code,
    )


def outlooks_of(
    indicator: Indicator,
    tree: RegionNode,
    figures: Mapping[str, Figure],
    targets: Mapping[str, Decimal],
    period: Period,
    *,
    computed: bool,
    bases: Mapping[str, Figure] | None = None,
    rolled: tuple[Mapping[str, Actual], Mapping[str, NodeTarget]] | None = None,
) -> dict[str, Outlook]:
    """:func:`outlooks` for one indicator over a region tree, the root inheriting the nearest
    target above it."""
    above = next((targets[c] for c in reversed(ancestors(tree.code)) if c in targets), None)
    return outlooks(
        indicator.aggregation,
        indicator.comparator,
        indicator.scale,
        tree,
        figures,
        targets,
        above,
        period,
        computed=computed,
        bases=bases,
        rolled=rolled,
    )


def needs_base(indicator: Indicator, computed: bool) -> bool:
    """A computed ``sum`` is a level: its projection starts from its value at the period's start."""
    return computed and indicator.aggregation == "sum"


def rank_regions(
    children: list[tuple[str, str, str]], views: Mapping[str, Mapping[str, Outlook]]
) -> list[RegionOutlook]:
    """Regions ``(code, name, level)`` by projected shortfall over every indicator in ``views``
    (indicator code → region code → outlook): most indicators projected to miss first, then
    the largest summed shortfall relative to the targets."""
    out: list[RegionOutlook] = []
    for code, name, level in children:
        mine = {indicator: by_region[code] for indicator, by_region in views.items() if code in by_region}
        misses = sorted(
            (indicator for indicator, view in mine.items() if view.will_meet is False),
            key=lambda indicator: shortfall_order(indicator, mine[indicator]),
        )
        total = sum((mine[indicator].shortfall_rate or Decimal(0) for indicator in misses), Decimal(0))
        out.append(
            RegionOutlook(
                region_code=code,
                name=name,
                level=level,
                projected_misses=len(misses),
                projected_meets=sum(1 for view in mine.values() if view.will_meet is True),
                no_forecast=sum(1 for view in mine.values() if view.will_meet is None),
                shortfall_rate_sum=rounded_text(total) or "0",
                missing=misses,
            )
        )
    out.sort(key=lambda r: (-r.projected_misses, -Decimal(r.shortfall_rate_sum), r.region_code))
    return out
