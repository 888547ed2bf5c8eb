"""``GET /indicators/{code}/forecast``: each region's value projected to the end of the period
(the rules are in :mod:`app.indicator.outlook`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.indicator import service as indicators
from app.indicator.figures import figure_text, rounded_text
from app.indicator.outlook import Outlook, method_of, outlooks_of, shortfall_order
from app.indicator.period import elapsed_share, parse_period
from app.indicator.progress import Tree, figures_for, region_tree, targets_for
from app.indicator.rollup import Figure, RegionNode
from app.indicator.schemas import Forecast, ForecastOrder, ForecastRegion
from app.indicator.targets import check_period
from app.security.principal import Principal


def _region(
    node: RegionNode, parent: str | None, tree: Tree, view: Outlook, own: Figure | None
) -> ForecastRegion:
    return ForecastRegion(
        region_code=node.code,
        name=tree.names.get(node.code, ""),
        level=tree.levels.get(node.code, ""),
        parent_code=parent,
        target=figure_text(view.target) if view.target is not None else None,
        actual=rounded_text(view.actual.value),
        figure_as_of=own.on if own is not None and view.actual.source == "own" else None,
        projected=rounded_text(view.projected),
        will_meet=view.will_meet,
        method=view.method,
        shortfall=rounded_text(view.shortfall),
        shortfall_rate=rounded_text(view.shortfall_rate),
    )


async def forecast(
    session: AsyncSession,
    principal: Principal,
    code: str,
    *,
    period: str | None,
    region_code: str | None,
    as_of: date | None,
    depth: str | None,
    order: ForecastOrder = "tree",
) -> Forecast:
    indicator = await indicators.require_visible(session, principal, code)
    day = as_of or clock.today()
    text = period or str(day.year)
    check_period(text, ("query", "period"))
    span = parse_period(text)
    tree = await region_tree(session, principal, region_code or principal.region, depth)
    loaded = await figures_for(session, [indicator], tree, span, day, every=True, bases=True)
    figures, computed, bases = loaded.figures, loaded.computed, loaded.bases
    targets = await targets_for(session, [indicator], tree, span, every=True)
    views = outlooks_of(
        indicator,
        tree.root,
        figures[code],
        targets[code],
        span,
        computed=code in computed,
        bases=bases.get(code),
    )
    regions: list[ForecastRegion] = []

    def visit(node: RegionNode, parent: str | None) -> None:
        regions.append(_region(node, parent, tree, views[node.code], figures[code].get(node.code)))
        for child in node.children:
            visit(child, node.code)

    visit(tree.root, None)
    if order == "shortfall":
        regions.sort(key=lambda r: shortfall_order(r.region_code, views[r.region_code]))
    return Forecast(
        indicator=code,
        name_zh=indicator.name_zh,
        aggregation=indicator.aggregation,
        comparator=indicator.comparator,
        unit=indicator.unit,
        period=span.text,
        period_end=span.end,
        as_of=day,
        elapsed_share=rounded_text(elapsed_share(span, day)) or "0",
        method=method_of(indicator.aggregation),
        computed_by=indicator.computed_by if code in computed else None,
        order=order,
        regions=regions,
    )
