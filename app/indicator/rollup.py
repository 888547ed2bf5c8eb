"""Rolling figures and targets up the region tree (see docs/indicators.md, "Task indicators").

A region's actual:

- ``none``: its own figure only (set and reported at one level).
- ``sum``: the sum of its children's actuals when any child has one, else its own figure.
- ``ratio``: Σ numerator / Σ denominator × scale over the children that have a ratio, else its
  own numerator / denominator × scale. Numerators and denominators roll up, never the ratios,
  so a child with a larger denominator weighs more.
- ``min``: the lowest of its children's actuals when any child has one, else its own figure
  (a standard every region must reach).

Partial reporting: the children that have no figure are left out, and ``reported_children``
says how many children's figures the actual is made of (0 when it is the region's own).
``prefer_own`` puts a region's own figure first (a computation over live data answers for the
whole region, records filed at its own level included); the children are then the fallback.

Targets: a ``sum`` target belongs to its region alone (a city's target is split among its
counties, so the children's targets are summed beside it); a ``ratio`` or ``min`` target is a
rate or standard that applies below too, so a region without one inherits the nearest
enclosing region's; a ``none`` target is its region's only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, NamedTuple

Aggregation = Literal["sum", "ratio", "min", "none"]
AGGREGATIONS: tuple[Aggregation, ...] = ("sum", "ratio", "min", "none")
INHERITED_TARGETS = frozenset({"ratio", "min"})


@dataclass(frozen=True, slots=True)
class RegionNode:
    code: str
    children: tuple[RegionNode, ...] = ()

    def walk(self) -> Iterator[RegionNode]:
        yield self
        for child in self.children:
            yield from child.walk()


class Figure(NamedTuple):
    """A region's own figure: the latest report, or a computed value, and the day it describes
    (``on``: the report's ``as_of``; the day computed for). A named tuple: one is made for every
    report a progress tree or a dashboard reads."""

    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    on: date | None = None


@dataclass(frozen=True, slots=True)
class Actual:
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    source: Literal["own", "children"] | None = None
    reported_children: int = 0

    @property
    def has_data(self) -> bool:
        return self.value is not None or self.denominator is not None


@dataclass(frozen=True, slots=True)
class NodeTarget:
    value: Decimal | None = None
    inherited: bool = False
    children_sum: Decimal | None = None
    children_with_target: int = 0


def ratio_value(numerator: Decimal, denominator: Decimal, scale: int) -> Decimal | None:
    if denominator == 0:
        return None
    return numerator / denominator * scale


def _own(aggregation: str, figure: Figure | None, scale: int) -> Actual:
    if figure is None:
        return Actual()
    if aggregation == "ratio" and figure.numerator is not None and figure.denominator is not None:
        return Actual(
            ratio_value(figure.numerator, figure.denominator, scale),
            figure.numerator,
            figure.denominator,
            "own",
        )
    if figure.value is None:
        return Actual()
    return Actual(figure.value, source="own")


def _combine(aggregation: str, children: list[Actual], scale: int) -> Actual | None:
    if aggregation == "ratio":
        parts = [c for c in children if c.numerator is not None and c.denominator is not None]
        if not parts:
            return None
        num = sum((c.numerator for c in parts if c.numerator is not None), Decimal(0))
        den = sum((c.denominator for c in parts if c.denominator is not None), Decimal(0))
        return Actual(ratio_value(num, den, scale), num, den, "children", len(parts))
    values = [c.value for c in children if c.value is not None]
    if not values:
        return None
    total = sum(values, Decimal(0)) if aggregation == "sum" else min(values)
    return Actual(total, source="children", reported_children=len(values))


def roll_up(
    aggregation: str,
    tree: RegionNode,
    figures: Mapping[str, Figure],
    *,
    scale: int = 1,
    prefer_own: bool = False,
) -> dict[str, Actual]:
    """The actual of every region of ``tree``, keyed by region code."""
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {aggregation!r}")
    out: dict[str, Actual] = {}

    def visit(node: RegionNode) -> Actual:
        children = [visit(child) for child in node.children]
        own = _own(aggregation, figures.get(node.code), scale)
        result = own
        if aggregation != "none" and not (prefer_own and own.has_data):
            result = _combine(aggregation, children, scale) or own
        out[node.code] = result
        return result

    visit(tree)
    return out


def node_targets(
    aggregation: str,
    tree: RegionNode,
    targets: Mapping[str, Decimal],
    above: Decimal | None = None,
) -> dict[str, NodeTarget]:
    """The target of every region of ``tree``; ``above`` is the nearest target above its root."""
    inherits = aggregation in INHERITED_TARGETS
    out: dict[str, NodeTarget] = {}

    def visit(node: RegionNode, inherited: Decimal | None) -> None:
        own = targets.get(node.code)
        value, was_inherited = (own, False) if own is not None else (inherited, inherited is not None)
        given = [targets[c.code] for c in node.children if c.code in targets]
        out[node.code] = NodeTarget(
            value=value,
            inherited=was_inherited,
            children_sum=sum(given, Decimal(0)) if given and aggregation == "sum" else None,
            children_with_target=len(given),
        )
        for child in node.children:
            visit(child, value if inherits else None)

    visit(tree, above if inherits else None)
    return out
