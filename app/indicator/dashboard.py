"""``GET /indicators/dashboard``: every indicator of a region with its traffic light and its
projection to the period's end, loaded as the progress trees are (:mod:`app.indicator.progress`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.collector import paused
from app.indicator.figures import figure_text, rounded_text
from app.indicator.headline import shown_outlooks
from app.indicator.outlook import Outlook, rank_regions, shortfall_order
from app.indicator.period import elapsed_share
from app.indicator.progress import figures_for, region_tree, source_of, targets_for, when
from app.indicator.repository import IndicatorRepository
from app.indicator.schemas import Dashboard, DashboardItem, DashboardOrder, StatusCounts
from app.indicator.status import completion_rate, lag_order, status_of
from app.security.principal import Principal


async def dashboard(
    session: AsyncSession,
    principal: Principal,
    *,
    period: str | None,
    region_code: str | None,
    as_of: date | None,
    depth: str | None,
    order: DashboardOrder = "lag",
) -> Dashboard:
    """Every indicator of the region with its traffic light and its projection to the period's
    end; ``order="shortfall"`` puts the projected misses first and ranks the region's children
    by projected shortfall (``regions``)."""
    span, day = when(period, as_of)
    tree = await region_tree(session, principal, region_code or principal.region, depth)
    root = tree.root.code
    definitions = await IndicatorRepository(session).applicable(root)
    # Only the region's own line is shown: computations below it are asked only as a fallback,
    # unless the children are ranked too.
    every = order == "shortfall"
    loaded = await figures_for(session, definitions, tree, span, day, every=every, bases=True)
    figures, computed, bases = loaded.figures, loaded.computed, loaded.bases
    targets = await targets_for(session, definitions, tree, span, every=every)
    elapsed = elapsed_share(span, day)
    items: list[DashboardItem] = []
    sort_keys: dict[str, tuple[int, int | Decimal, Decimal, str]] = {}
    views: dict[str, dict[str, Outlook]] = {}
    # Thousands of short-lived tuples and Decimals, no cycles, nothing awaited: the collector
    # is held off the walk and takes them in one young collection after it.
    with paused():
        for indicator in definitions:
            is_computed = indicator.code in computed
            # Only the lines shown are rolled up: the region's, and its children's when ranked.
            views[indicator.code] = shown_outlooks(
                indicator,
                tree.root,
                figures[indicator.code],
                targets[indicator.code],
                span,
                computed=is_computed,
                children=every,
                bases=bases.get(indicator.code),
            )
            outlook = views[indicator.code][root]
            actual, target = outlook.actual, outlook.target
            rate = completion_rate(indicator.comparator, actual.value, target)
            status = status_of(indicator.aggregation, indicator.comparator, actual.value, target, elapsed)
            sort_keys[indicator.code] = (
                shortfall_order(indicator.code, outlook) if every else lag_order(status, rate, indicator.code)
            )
            items.append(
                DashboardItem(
                    code=indicator.code,
                    name_zh=indicator.name_zh,
                    name_en=indicator.name_en,
                    domain=indicator.domain,
                    unit=indicator.unit,
                    aggregation=indicator.aggregation,
                    comparator=indicator.comparator,
                    target=figure_text(target) if target is not None else None,
                    actual=rounded_text(actual.value),
                    completion_rate=rounded_text(rate),
                    status=status,
                    source=source_of(actual, is_computed),
                    reported_children=actual.reported_children,
                    children=len(tree.root.children),
                    projected=rounded_text(outlook.projected),
                    will_meet=outlook.will_meet,
                    shortfall=rounded_text(outlook.shortfall),
                    shortfall_rate=rounded_text(outlook.shortfall_rate),
                    forecast_method=outlook.method,
                )
            )
    items.sort(key=lambda item: sort_keys[item.code])
    counts = StatusCounts()
    for item in items:
        setattr(counts, item.status, getattr(counts, item.status) + 1)
    return Dashboard(
        region_code=root,
        name=tree.names.get(root, ""),
        period=span.text,
        as_of=day,
        elapsed_share=rounded_text(elapsed) or "0",
        counts=counts,
        items=items,
        order=order,
        regions=rank_regions(
            [(c.code, tree.names.get(c.code, ""), tree.levels.get(c.code, "")) for c in tree.root.children],
            views,
        )
        if every
        else [],
    )
