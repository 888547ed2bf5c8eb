"""The lines a dashboard shows: one indicator rolled up to the region asked about and, when its
children are ranked too, to each child — each with its target and its projection (no database).

The rules are those of :mod:`app.indicator.rollup` and :mod:`app.indicator.outlook`, which give
every region of a tree (the progress tree, the forecast). Here only the shown regions get an
:class:`~app.indicator.rollup.Actual` and an :class:`~app.indicator.outlook.Outlook`; the regions
below them are rolled up as plain tuples in one walk. The sums are taken over the same children
in the same order, so every figure is the same to the last digit. Exact shortcuts:

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
from app.indicator.outlook import Outlook, method_of, outlook, project
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


def _own(aggregation: str, code: str, figure: Figure | None, projector: _Projector | None) -> _Line:
    if figure is None:
        return _EMPTY
    if aggregation == "ratio" and figure.numerator is not None and figure.denominator is not None:
        return (None, figure.numerator, figure.denominator, "own", 0, None)
    if figure.value is None:
        return _EMPTY
    projected = projector(code, figure) if projector is not None else None
    return (figure.value, None, None, "own", 0, projected)


def _combine(aggregation: str, lines: list[_Line]) -> _Line | None:
    if aggregation == "ratio":
        parts = [line for line in lines if line[1] is not None and line[2] is not None]
        if not parts:
            return None
        numerator = sum((line[1] for line in parts if line[1] is not None), Decimal(0))
        denominator = sum((line[2] for line in parts if line[2] is not None), Decimal(0))
        return (None, numerator, denominator, "children", len(parts), None)
    valued = [line for line in lines if line[0] is not None]
    if not valued:
        return None
    values = [line[0] for line in valued if line[0] is not None]
    if aggregation != "sum":
        return (min(values), None, None, "children", len(values), None)
    # A projection is present exactly where the figure is (see the module's docstring).
    projected = [line[5] for line in valued if line[5] is not None]
    return (sum(values, Decimal(0)), None, None, "children", len(values), sum(projected, Decimal(0)))


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
    project_own = projector if linear else None
    out: dict[str, tuple[Actual, Decimal | None]] = {}

    def visit(node: RegionNode, shown_below: bool) -> _Line:
        own = _own(aggregation, node.code, figures.get(node.code), project_own)
        stands = aggregation == "none" or (prefer_own and (own[0] is not None or own[2] is not None))
        if stands and not shown_below:
            return own
        lines = [visit(child, False) for child in node.children]
        if shown_below:
            for child, line in zip(node.children, lines, strict=True):
                out[child.code] = _shown(line, scale, linear)
        return own if stands else (_combine(aggregation, lines) or own)

    out[tree.code] = _shown(visit(tree, children), scale, linear)
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
    aggregation, start = indicator.aggregation, bases or {}

    def projector(code: str, figure: Figure) -> Decimal | None:
        return project(aggregation, figure, period, start.get(code)).value

    lines = shown_lines(
        aggregation,
        tree,
        figures,
        scale=indicator.scale,
        prefer_own=computed,
        children=children,
        projector=projector,
    )
    inherits = aggregation in INHERITED_TARGETS
    above = next((targets[c] for c in reversed(ancestors(tree.code)) if c in targets), None)
    root_target = targets.get(tree.code, above if inherits else None)
    method = method_of(aggregation)
    out: dict[str, Outlook] = {}
    for code, (actual, projected) in lines.items():
        target = root_target if code == tree.code else targets.get(code, root_target if inherits else None)
        out[code] = outlook(indicator.comparator, method, actual, target, projected)
    return out
