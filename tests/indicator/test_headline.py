"""The dashboard's lines (``headline``) against the full-tree roll-up and outlook they shortcut:
the same actual, target and projection, digit for digit, for the root and its children."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.indicator.headline import shown_lines, shown_outlooks
from app.indicator.models import Indicator
from app.indicator.outlook import Outlook, outlooks_of
from app.indicator.period import parse_period
from app.indicator.rollup import AGGREGATIONS, Figure, RegionNode

D = Decimal
PROVINCE, CITY = "330000000000", "330500000000"
PERIOD = parse_period("2022")


def _tree(rng: random.Random) -> RegionNode:
    """The city, up to five counties, each with up to four townships (some with villages)."""
    counties = []
    for c in range(rng.randint(0, 5)):
        county = f"3305{c + 1:02d}000000"
        townships = []
        for t in range(rng.randint(0, 4)):
            township = f"{county[:6]}{t + 1:03d}000"
            villages = tuple(RegionNode(f"{township[:9]}{v + 1:03d}") for v in range(rng.choice((0, 0, 2))))
            townships.append(RegionNode(township, villages))
        counties.append(RegionNode(county, tuple(townships)))
    return RegionNode(CITY, tuple(counties))


def _number(rng: random.Random) -> Decimal:
    return D(rng.choice(("0", "1", "7", "12.5", "100", "333.333333", "0.000001", "98765.4321", "5.0")))


def _figure(rng: random.Random, aggregation: str) -> Figure:
    day = PERIOD.start + timedelta(days=rng.choice((0, 1, 45, 180, 272, 364, 400)))
    on = rng.choice((day, date(2021, 12, 31), None)) if rng.random() < 0.1 else day
    kind = rng.random()
    if aggregation == "ratio" and kind < 0.8:
        denominator = rng.choice((D(0), D(3), D(7), D("40.5"), D(1000)))
        return Figure(numerator=_number(rng), denominator=denominator, on=on)
    if kind < 0.05:
        return Figure(on=on)  # no value at all
    if kind < 0.08:
        return Figure(value=_number(rng), numerator=_number(rng), on=on)  # a ratio without denominator
    return Figure(value=_number(rng), on=on)


def _case(rng: random.Random) -> tuple[Indicator, RegionNode, dict[str, Figure], dict[str, Decimal], bool]:
    aggregation = rng.choice(AGGREGATIONS)
    indicator = Indicator(
        code="test",
        name_zh="测试",
        domain="test",
        unit="items",
        aggregation=aggregation,
        scale=rng.choice((1, 100, 1000)),
        comparator=rng.choice(("gte", "gt", "eq", "lte")),
        region_code=CITY,
    )
    tree = _tree(rng)
    codes = [node.code for node in tree.walk()]
    share = rng.choice((0.0, 0.3, 0.8, 1.0))
    figures = {code: _figure(rng, aggregation) for code in codes if rng.random() < share}
    targets = {code: _number(rng) for code in [PROVINCE, *codes] if rng.random() < 0.4}
    return indicator, tree, figures, targets, rng.random() < 0.3


def _text(view: Outlook) -> tuple[str, ...]:
    """Every field as text, so that ``Decimal("5")`` and ``Decimal("5.0")`` differ."""
    actual = view.actual
    return tuple(
        repr(x)
        for x in (
            actual.value,
            actual.numerator,
            actual.denominator,
            actual.source,
            actual.reported_children,
            view.target,
            view.projected,
            view.will_meet,
            view.shortfall,
            view.shortfall_rate,
            view.method,
        )
    )


@pytest.mark.parametrize("seed", range(40))
def test_shown_outlooks_are_those_of_the_whole_tree(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        indicator, tree, figures, targets, computed = _case(rng)
        bases = (
            {code: Figure(value=_number(rng)) for code in figures if rng.random() < 0.5} if computed else None
        )
        full = outlooks_of(indicator, tree, figures, targets, PERIOD, computed=computed, bases=bases)
        for children in (False, True):
            shown = shown_outlooks(
                indicator, tree, figures, targets, PERIOD, computed=computed, children=children, bases=bases
            )
            expected = [tree.code, *([c.code for c in tree.children] if children else [])]
            assert set(shown) == set(expected)
            for code in expected:
                assert _text(shown[code]) == _text(full[code]), (seed, indicator.aggregation, code)


def test_a_figure_that_stands_is_not_walked_below() -> None:
    tree = RegionNode(CITY, (RegionNode("330502000000", (RegionNode("330502001000"),)),))
    figures = {CITY: Figure(value=D(5)), "330502001000": Figure(value=D(7))}
    lines = shown_lines("sum", tree, figures, prefer_own=True)
    assert list(lines) == [CITY]
    assert lines[CITY][0].value == D(5)
    assert lines[CITY][0].source == "own"
    # Its children still get their own lines when they are shown.
    lines = shown_lines("sum", tree, figures, prefer_own=True, children=True)
    assert lines["330502000000"][0].value == D(7)
    assert lines["330502000000"][0].reported_children == 1


def test_unknown_aggregation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown aggregation"):
        shown_lines("avg", RegionNode(CITY), {})
