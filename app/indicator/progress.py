"""Progress trees, and the loading they share with the dashboard and the forecast.

Everything a request needs is loaded with a few set-based queries — the region tree level by
level, every target of the tree and of the regions above it, the latest report of every
indicator and region — and then rolled up in memory (``rollup``, ``status``). Computed
indicators ask their computation once per region shown (the dashboard shows one region).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.collector import paused
from app.core.validators import normalize_region_code
from app.indicator import service as indicators
from app.indicator.computed import COVERS_SUBTREE, Answer, Computation, computation, compute_all
from app.indicator.figures import figure_text, rounded_text
from app.indicator.models import Indicator
from app.indicator.outlook import needs_base
from app.indicator.period import Period, clamp_to, elapsed_share, parse_period
from app.indicator.repository import Positional, ReportRepository, TargetRepository
from app.indicator.rollup import Actual, Figure, NodeTarget, RegionNode, node_targets, roll_up
from app.indicator.schemas import (
    Progress,
    ProgressNode,
    Source,
)
from app.indicator.status import Status, completion_rate, status_of
from app.indicator.targets import check_period
from app.region import service as regions
from app.security.principal import Principal
from app.security.scope import ancestors, region_level

LEVELS = ("province", "city", "county", "township", "village")


@dataclass(slots=True)
class Tree:
    root: RegionNode
    names: dict[str, str]
    levels: dict[str, str]

    @property
    def codes(self) -> list[str]:
        return [node.code for node in self.root.walk()]


@dataclass(frozen=True, slots=True)
class Judged:
    actual: Actual
    target: NodeTarget
    rate: Decimal | None
    status: Status


@dataclass(slots=True)
class Evaluation:
    indicator: Indicator
    computed: bool
    nodes: dict[str, Judged] = field(default_factory=dict)
    # Every region's rolled-up actual and target (the outlook reads them again).
    actuals: dict[str, Actual] = field(default_factory=dict)
    goals: dict[str, NodeTarget] = field(default_factory=dict)


def _depth_index(root_level: str, depth: str | None) -> int:
    """Down to county by default; one level below the region when it is a county or lower."""
    root = LEVELS.index(root_level)
    if depth is not None:
        return LEVELS.index(depth)
    return min(max(LEVELS.index("county"), root + 1), len(LEVELS) - 1)


async def region_tree(session: AsyncSession, principal: Principal, code: str, depth: str | None) -> Tree:
    normalized = normalize_region_code(code)
    level = region_level(normalized)
    bottom = _depth_index(level, depth)
    # The whole tree in one query (the regions below, down to the bottom level), linked here.
    root, below = await regions.subtree(
        session, principal, normalized, LEVELS[LEVELS.index(level) + 1 : bottom + 1]
    )
    names, levels = {root.code: root.name}, {root.code: root.level}

    def build(node: str) -> RegionNode:
        children = below.get(node, [])
        for ref in children:
            names[ref.code], levels[ref.code] = ref.name, ref.level
        return RegionNode(node, tuple(build(ref.code) for ref in children))

    return Tree(build(root.code), names, levels)


@dataclass(slots=True)
class Figures:
    """Every region's own figure per indicator, the codes of the computed indicators, and each
    computed ``sum`` indicator's figures on the day before the period begins (``bases``: where
    its projection starts, :func:`app.indicator.outlook.needs_base`)."""

    figures: dict[str, dict[str, Figure]]
    computed: set[str]
    bases: dict[str, dict[str, Figure]]


async def _computed(
    session: AsyncSession,
    compute: Computation,
    node: RegionNode,
    period: Period,
    on: date,
    *,
    every: bool,
    subtree: bool = False,
) -> dict[str, Figure]:
    value = await compute(session, node.code, period.text, on)
    return await _computed_from(session, compute, node, value, period, on, every=every, subtree=subtree)


async def _computed_from(
    session: AsyncSession,
    compute: Computation,
    node: RegionNode,
    value: Answer,
    period: Period,
    on: date,
    *,
    every: bool,
    subtree: bool,
) -> dict[str, Figure]:
    """Computed figures from the top down (``value``: the node's own); below a region that has
    one, only when ``every`` region is shown (a region's computed figure is its actual; its
    children are the fallback). Below a region without one, only when the computation does not
    cover the ``subtree`` (then the children have none either)."""
    out: dict[str, Figure] = {}
    if value is not None:
        out[node.code] = value._replace(on=on) if isinstance(value, Figure) else Figure(value=value, on=on)
    if (every and value is not None) or (value is None and not subtree):
        for child in node.children:
            out.update(await _computed(session, compute, child, period, on, every=every, subtree=subtree))
    return out


async def figures_for(
    session: AsyncSession,
    definitions: Sequence[Indicator],
    tree: Tree,
    period: Period,
    as_of: date,
    *,
    every: bool,
    bases: bool = False,
) -> Figures:
    """Every region's own figure per indicator, and with ``bases`` the computed ``sum``
    indicators' figures on the day before the period begins. The computations are asked about
    the tree's root together (:func:`app.indicator.computed.compute_all`), then below it where
    they must be."""
    out: dict[str, dict[str, Figure]] = {d.code: {} for d in definitions}
    computing = [(d, compute) for d in definitions if (compute := computation(d.computed_by)) is not None]
    on, before = clamp_to(period, as_of), period.start - timedelta(days=1)
    asks = [(d, compute, on, out) for d, compute in computing]
    starts: dict[str, dict[str, Figure]] = {}
    if bases:
        for d, compute in computing:
            if needs_base(d, True):
                starts[d.code] = {}
                asks.append((d, compute, before, starts))
    answers = await compute_all(
        session, [(str(d.computed_by), tree.root.code, period.text, day) for d, _, day, _ in asks]
    )
    for (definition, compute, day, into), answer in zip(asks, answers, strict=True):
        into[definition.code] = await _computed_from(
            session,
            compute,
            tree.root,
            answer,
            period,
            day,
            every=every,
            subtree=definition.computed_by in COVERS_SUBTREE,
        )
    reported = [d.code for d in definitions if computation(d.computed_by) is None]
    if reported:
        rows = await ReportRepository(session).latest(reported, period.text, tree.codes, as_of)
        with paused():  # a tuple and up to three Decimals per report, nothing awaited
            _add_reported(out, rows)
    return Figures(out, {d.code for d, _ in computing}, starts)


def _add_reported(out: dict[str, dict[str, Figure]], rows: Sequence[Positional]) -> None:
    """Each latest report as its region's figure (one made per report: kept to a tuple)."""
    make, number = tuple.__new__, Decimal
    for code, region, value, numerator, denominator, on in rows:
        out[code][region] = make(
            Figure,
            (
                number(value) if value else None,
                number(numerator) if numerator else None,
                number(denominator) if denominator else None,
                on,
            ),
        )


async def targets_for(
    session: AsyncSession, definitions: Sequence[Indicator], tree: Tree, period: Period, *, every: bool
) -> dict[str, dict[str, Decimal]]:
    """Targets of the tree's regions (only its root's when not ``every`` region is shown) and of
    the regions above it, which rates and standards inherit."""
    out: dict[str, dict[str, Decimal]] = {d.code: {} for d in definitions}
    regions_needed = [*ancestors(tree.root.code), *(tree.codes if every else [tree.root.code])]
    rows = await TargetRepository(session).for_regions(list(out), period.text, regions_needed)
    for row in rows:
        out[row[0]][row[1]] = Decimal(row[2])
    return out


def evaluate(
    indicator: Indicator,
    tree: RegionNode,
    figures: dict[str, Figure],
    targets: dict[str, Decimal],
    elapsed: Decimal,
    *,
    computed: bool,
    judge: Collection[str] | None = None,
) -> Evaluation:
    """Roll one indicator up the tree and judge every region, or those in ``judge`` (pure).

    A computed figure answers for the whole region, so it is the region's actual; the roll-up
    of its children is used only where the computation has no figure.
    """
    above = next((targets[c] for c in reversed(ancestors(tree.code)) if c in targets), None)
    actuals = roll_up(indicator.aggregation, tree, figures, scale=indicator.scale, prefer_own=computed)
    goals = node_targets(indicator.aggregation, tree, targets, above)
    result = Evaluation(indicator, computed, actuals=actuals, goals=goals)
    for code, actual in actuals.items():
        if judge is not None and code not in judge:
            continue
        goal = goals[code]
        rate = completion_rate(indicator.comparator, actual.value, goal.value)
        state = status_of(indicator.aggregation, indicator.comparator, actual.value, goal.value, elapsed)
        result.nodes[code] = Judged(actual, goal, rate, state)
    return result


def source_of(actual: Actual, computed: bool) -> Source | None:
    if actual.source == "own":
        return "computed" if computed else "report"
    return "children" if actual.source == "children" else None


def _progress_node(node: RegionNode, tree: Tree, evaluation: Evaluation) -> ProgressNode:
    judged = evaluation.nodes[node.code]
    actual, goal = judged.actual, judged.target
    ratio = evaluation.indicator.aggregation == "ratio"
    return ProgressNode(
        region_code=node.code,
        name=tree.names.get(node.code, ""),
        level=tree.levels.get(node.code, ""),
        target=figure_text(goal.value) if goal.value is not None else None,
        target_inherited=goal.inherited,
        children_target=figure_text(goal.children_sum) if goal.children_sum is not None else None,
        actual=rounded_text(actual.value),
        numerator=figure_text(actual.numerator) if ratio and actual.numerator is not None else None,
        denominator=figure_text(actual.denominator) if ratio and actual.denominator is not None else None,
        completion_rate=rounded_text(judged.rate),
        status=judged.status,
        source=source_of(actual, evaluation.computed),
        reported_children=actual.reported_children,
        children=[_progress_node(child, tree, evaluation) for child in node.children],
    )


def when(period: str | None, as_of: date | None) -> tuple[Period, date]:
    day = as_of or clock.today()
    text = period or str(day.year)
    check_period(text, ("query", "period"))
    return parse_period(text), day


async def progress(
    session: AsyncSession,
    principal: Principal,
    code: str,
    *,
    period: str | None,
    region_code: str | None,
    as_of: date | None,
    depth: str | None,
) -> Progress:
    indicator = await indicators.require_visible(session, principal, code)
    span, day = when(period, as_of)
    tree = await region_tree(session, principal, region_code or principal.region, depth)
    loaded = await figures_for(session, [indicator], tree, span, day, every=True)
    targets = await targets_for(session, [indicator], tree, span, every=True)
    elapsed = elapsed_share(span, day)
    computed = loaded.computed
    evaluation = evaluate(
        indicator, tree.root, loaded.figures[code], targets[code], elapsed, computed=code in computed
    )
    return Progress(
        indicator=code,
        name_zh=indicator.name_zh,
        aggregation=indicator.aggregation,
        comparator=indicator.comparator,
        unit=indicator.unit,
        period=span.text,
        as_of=day,
        elapsed_share=rounded_text(elapsed) or "0",
        computed_by=indicator.computed_by if code in computed else None,
        tree=_progress_node(tree.root, tree, evaluation),
    )
