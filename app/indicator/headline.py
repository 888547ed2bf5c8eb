"""The lines a dashboard shows: one indicator rolled up to the region asked about and, when its
children are ranked too, to each child — each with its target and its projection (no database).

The rules are those of :mod:`app.indicator.rollup` and :mod:`app.indicator.outlook`, which give
every region of a tree (the progress tree, the forecast). Here only the shown regions get an
:class:`~app.indicator.rollup.Actual` and an :class:`~app.indicator.outlook.Outlook`; the regions
below them are rolled up as plain tuples in one walk per indicator. The sums are taken over the
same children in the same order, so every figure is the same to the last digit. Exact shortcuts:

- A carried figure (``ratio``, ``min``, ``none``) projects to itself, so its projection is its
  actual; a linear projection (``sum``) keeps a figure's presence, so a region combines the same
  children in both: actual and projection are rolled up in the same walk.
- A region whose own figure stands (``none``, or a computed figure that answers for its
  subtree) is not walked below, unless its children are shown.
- A ratio is divided out only where it is shown; below, numerators and denominators are summed.
- Targets: only the shown regions' (their own, or the inherited rate or standard).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Literal

from app.indicator.models import Indicator
from app.indicator.outlook import Outlook, method_of, outlook
from app.indicator.period import Period
from app.indicator.rollup import AGGREGATIONS, INHERITED_TARGETS, Actual, Figure, RegionNode, ratio_value
from app.security.scope import ancestors

# value, numerator, denominator, source, reported children, projected value (sum only). A
# ratio line keeps its numerator and denominator and is divided out when it is shown.
_Line = tuple[
    Decimal | None, Decimal | None, Decimal | None, Literal["own", "children"] | None, int, Decimal | None
]
_EMPTY: _Line = (None, None, None, None, 0, None)
_Projector = Callable[[str, Figure], Decimal | None]
_Walk = Callable[[RegionNode, bool], _Line]


def _sum_walk(
    figures: Mapping[str, Figure], prefer_own: bool, project: _Projector | None, out: dict[str, _Line]
) -> _Walk:
    def visit(node: RegionNode, shown_below: bool) -> _Line:
        figure = figures.get(node.code)
        own = figure.value if figure is not None else None
        stands = prefer_own and own is not None
        if stands and not shown_below:
            return _own_value(node.code, figure, project)
        total = projected = Decimal(0)
        count = 0
        for child in node.children:
            line = visit(child, False)
            if shown_below:
                out[child.code] = line
            if line[0] is not None:
                # A projection is present exactly where the figure is (see the docstring).
                total, count = total + line[0], count + 1
                projected = projected + line[5] if line[5] is not None else projected
        if count and not stands:
            return (total, None, None, "children", count, projected)
        return _own_value(node.code, figure, project)

    return visit


def _min_walk(figures: Mapping[str, Figure], prefer_own: bool, out: dict[str, _Line]) -> _Walk:
    def visit(node: RegionNode, shown_below: bool) -> _Line:
        figure = figures.get(node.code)
        own = figure.value if figure is not None else None
        stands = prefer_own and own is not None
        if stands and not shown_below:
            return _own_value(node.code, figure, None)
        values = []
        for child in node.children:
            line = visit(child, False)
            if shown_below:
                out[child.code] = line
            if line[0] is not None:
                values.append(line[0])
        if values and not stands:
            return (min(values), None, None, "children", len(values), None)
        return _own_value(node.code, figure, None)

    return visit


def _ratio_walk(figures: Mapping[str, Figure], prefer_own: bool, out: dict[str, _Line]) -> _Walk:
    def visit(node: RegionNode, shown_below: bool) -> _Line:
        figure = figures.get(node.code)
        if figure is not None and figure.numerator is not None and figure.denominator is not None:
            own: _Line = (None, figure.numerator, figure.denominator, "own", 0, None)
        else:
            own = _own_value(node.code, figure, None)
        stands = prefer_own and (own[0] is not None or own[2] is not None)
        if stands and not shown_below:
            return own
        numerator = denominator = Decimal(0)
        count = 0
        for child in node.children:
            line = visit(child, False)
            if shown_below:
                out[child.code] = line
            if line[1] is not None and line[2] is not None:
                numerator, denominator, count = numerator + line[1], denominator + line[2], count + 1
        if count and not stands:
            return (None, numerator, denominator, "children", count, None)
        return own

    return visit


def _own_walk(figures: Mapping[str, Figure], out: dict[str, _Line]) -> _Walk:
    def visit(node: RegionNode, shown_below: bool) -> _Line:
        if shown_below:
            for child in node.children:
                out[child.code] = visit(child, False)
        return _own_value(node.code, figures.get(node.code), None)

    return visit


def _own_value(code: str, figure: Figure | None, project: _Projector | None) -> _Line:
    if figure is None or figure.value is None:
        return _EMPTY
    return (figure.value, None, None, "own", 0, project(code, figure) if project is not None else None)


def _shown(line: _Line, scale: int, linear: bool) -> tuple[Actual, Decimal | None]:
    value, numerator, denominator, source, reported, projected = line
    if numerator is not None and denominator is not None:
        value = ratio_value(numerator, denominator, scale)
    return Actual(value, numerator, denominator, source, reported), projected if linear else value


def shown_lines(
    aggregation: str,
    tree: RegionNode,
    figures: Mapping[str, Figure],
    *,
    scale: int = 1,
    prefer_own: bool = False,
    children: bool = False,
    projector: _Projector | None = None,
) -> dict[str, tuple[Actual, Decimal | None]]:
    """The actual and the projected value of the tree's root (and of its ``children``), as
    :func:`~app.indicator.rollup.roll_up` over the figures and over their projections gives them
    (``projector``: a region's own figure projected, for ``sum``; other aggregations carry)."""
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {aggregation!r}")
    linear = method_of(aggregation) == "linear"
    lines: dict[str, _Line] = {}
    if aggregation == "sum":
        visit = _sum_walk(figures, prefer_own, projector, lines)
    elif aggregation == "ratio":
        visit = _ratio_walk(figures, prefer_own, lines)
    elif aggregation == "min":
        visit = _min_walk(figures, prefer_own, lines)
    else:
        visit = _own_walk(figures, lines)
    root = visit(tree, children)
    out = {tree.code: _shown(root, scale, linear)}
    for code, line in lines.items():
        out[code] = _shown(line, scale, linear)
    return out


def shown_outlooks(
    indicator: Indicator,
    tree: RegionNode,
    figures: Mapping[str, Figure],
    targets: Mapping[str, Decimal],
    period: Period,
    *,
    computed: bool,
    children: bool = False,
    bases: Mapping[str, Figure] | None = None,
) -> dict[str, Outlook]:
    """The outlook of the tree's root (and of its ``children``), as
    :func:`~app.indicator.outlook.outlooks_of` gives it for those regions."""
    start, end, days = period.start, period.end, period.days
    base_of = (bases or {}).get
    zero = Decimal(0)

    def projector(code: str, figure: Figure) -> Decimal | None:
        # outlook.project, for a figure with a value: extrapolated when dated inside the period,
        # by outlook.linear_value's formula (written out here: it runs for every region).
        value, on = figure.value, figure.on
        if on is None or on >= end or on < start or value is None:
            return value
        base = base_of(code)
        begin = base.value if base is not None and base.value is not None else zero
        return begin + (value - begin) * days / ((on - start).days + 1)

    lines = shown_lines(
        indicator.aggregation,
        tree,
        figures,
        scale=indicator.scale,
        prefer_own=computed,
        children=children,
        projector=projector,
    )
    inherits = indicator.aggregation in INHERITED_TARGETS
    above = next((targets[c] for c in reversed(ancestors(tree.code)) if c in targets), None)
    root_target = targets.get(tree.code, above if inherits else None)
    method = method_of(indicator.aggregation)
    out: dict[str, Outlook] = {}
    for code, (actual, projected) in lines.items():
        target = root_target if code == tree.code else targets.get(code, root_target if inherits else None)
        out[code] = outlook(indicator.comparator, method, actual, target, projected)
    return out
