"""Pure rules: roll-up, targets down the tree, completion and status, periods, figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.indicator.figures import figure_text, parse_figure, rounded_text
from app.indicator.models import Indicator
from app.indicator.period import clamp_to, elapsed_share, parse_period
from app.indicator.progress import evaluate
from app.indicator.rollup import Figure, RegionNode, node_targets, ratio_value, roll_up
from app.indicator.status import completion_rate, is_met, lag_order, status_of

D = Decimal
CITY, A, B, C = "330500000000", "330502000000", "330503000000", "330521000000"
A1, A2 = "330502001000", "330502002000"

# city → three counties; the first county → two townships
TREE = RegionNode(CITY, (RegionNode(A, (RegionNode(A1), RegionNode(A2))), RegionNode(B), RegionNode(C)))


def value(v: str) -> Figure:
    return Figure(value=D(v))


def ratio(n: str, d: str) -> Figure:
    return Figure(numerator=D(n), denominator=D(d))


# --- sum -------------------------------------------------------------------------------------


def test_sum_adds_the_children() -> None:
    out = roll_up("sum", TREE, {A: value("10"), B: value("5"), C: value("2.5")})
    assert out[CITY].value == D("17.5")
    assert out[CITY].source == "children"
    assert out[CITY].reported_children == 3


def test_sum_with_partial_reporting_adds_those_that_reported() -> None:
    out = roll_up("sum", TREE, {A: value("10"), C: value("3")})
    assert out[CITY].value == D(13)
    assert out[CITY].reported_children == 2
    assert out[B].value is None
    assert out[B].source is None


def test_sum_prefers_the_children_over_the_region_own_report() -> None:
    out = roll_up("sum", TREE, {CITY: value("100"), A: value("10")})
    assert out[CITY].value == D(10)
    assert out[CITY].source == "children"


def test_sum_uses_the_region_own_report_when_no_child_reported() -> None:
    out = roll_up("sum", TREE, {CITY: value("100")})
    assert out[CITY].value == D(100)
    assert out[CITY].source == "own"
    assert out[CITY].reported_children == 0


def test_sum_rolls_up_through_every_level() -> None:
    out = roll_up("sum", TREE, {A1: value("4"), A2: value("6"), A: value("99"), B: value("1")})
    assert out[A].value == D(10)  # the townships, not the county's own 99
    assert out[CITY].value == D(11)


def test_prefer_own_puts_the_region_figure_first() -> None:
    out = roll_up("sum", TREE, {CITY: value("100"), A: value("10")}, prefer_own=True)
    assert out[CITY].value == D(100)
    assert out[CITY].source == "own"
    fallback = roll_up("sum", TREE, {A: value("10")}, prefer_own=True)
    assert fallback[CITY].value == D(10)


# --- ratio -----------------------------------------------------------------------------------


def test_ratio_weighs_children_by_their_denominators() -> None:
    # 9/10 and 1/90: the mean of the ratios would be 45.56 %, the pooled ratio is 10 %.
    out = roll_up("ratio", TREE, {A: ratio("9", "10"), B: ratio("1", "90")}, scale=100)
    assert out[A].value == D(90)
    assert out[CITY].numerator == D(10)
    assert out[CITY].denominator == D(100)
    assert out[CITY].value == D(10)


def test_ratio_pools_numerators_across_levels() -> None:
    figures = {A1: ratio("1", "4"), A2: ratio("3", "4"), B: ratio("0", "2")}
    out = roll_up("ratio", TREE, figures, scale=10000)
    assert (out[A].numerator, out[A].denominator) == (D(4), D(8))
    assert out[A].value == D(5000)
    assert out[CITY].value == D(4) / D(10) * 10000


def test_ratio_with_partial_reporting_and_an_own_fallback() -> None:
    out = roll_up("ratio", TREE, {CITY: ratio("7", "10"), C: ratio("1", "3")}, scale=100)
    assert out[CITY].reported_children == 1
    assert out[CITY].value == D(1) / D(3) * 100
    assert roll_up("ratio", RegionNode(CITY), {CITY: ratio("7", "10")}, scale=100)[CITY].value == D(70)


def test_ratio_with_a_zero_denominator_has_no_value_but_counts_as_reported() -> None:
    out = roll_up("ratio", TREE, {B: ratio("0", "0")}, scale=100)
    assert out[B].value is None
    assert out[B].has_data
    assert out[CITY].reported_children == 1  # the child counted; its ratio is undefined
    assert out[CITY].value is None
    assert ratio_value(D(1), D(0), 100) is None


# --- min and none ----------------------------------------------------------------------------


def test_min_is_the_lowest_child() -> None:
    out = roll_up(
        "min", TREE, {CITY: value("12000"), A: value("12500"), B: value("11800"), C: value("13000")}
    )
    assert out[CITY].value == D(11800)
    assert out[CITY].source == "children"


def test_min_with_partial_reporting_and_own_fallback() -> None:
    out = roll_up("min", TREE, {A1: value("3"), A: value("1")})
    assert out[A].value == D(3)  # the township that reported, not the county's own figure
    assert out[CITY].value == D(3)
    assert out[CITY].reported_children == 1
    alone = roll_up("min", TREE, {CITY: value("25000")})
    assert alone[CITY].value == D(25000)
    assert alone[CITY].source == "own"


def test_none_uses_only_the_region_own_report() -> None:
    out = roll_up("none", TREE, {A: value("3"), B: value("2")})
    assert out[CITY].value is None
    assert out[CITY].reported_children == 0
    assert out[A].value == D(3)
    assert roll_up("none", TREE, {CITY: value("3"), A: value("1")})[CITY].value == D(3)


def test_unknown_aggregation_is_refused() -> None:
    with pytest.raises(ValueError, match="aggregation"):
        roll_up("avg", TREE, {})


# --- targets down the tree -------------------------------------------------------------------


def test_sum_targets_are_split_and_summed_not_inherited() -> None:
    out = node_targets("sum", TREE, {CITY: D(500), A: D(200), B: D(150)})
    assert out[CITY].value == D(500)
    assert out[CITY].children_sum == D(350)
    assert out[CITY].children_with_target == 2
    assert out[C].value is None
    assert not out[C].inherited


def test_rate_and_standard_targets_are_inherited_from_above() -> None:
    for aggregation in ("ratio", "min"):
        out = node_targets(aggregation, TREE, {CITY: D(100), A: D(90)})
        assert out[B].value == D(100)
        assert out[B].inherited
        assert out[A1].value == D(90)  # the nearest enclosing region's
        assert not out[A].inherited
        assert out[CITY].children_sum is None
    from_above = node_targets("min", RegionNode(A, (RegionNode(A1),)), {}, above=D(12000))
    assert from_above[A].value == D(12000)
    assert from_above[A1].inherited


def test_none_targets_stay_where_they_are_set() -> None:
    out = node_targets("none", TREE, {CITY: D(3)}, above=D(5))
    assert out[CITY].value == D(3)
    assert out[A].value is None


# --- completion rate and status --------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparator", "actual", "target", "met"),
    [
        ("gte", "10", "10", True),
        ("gte", "9.99", "10", False),
        ("gt", "10", "10", False),
        ("gt", "10.01", "10", True),
        ("eq", "3", "3", True),
        ("eq", "4", "3", False),
        ("lte", "5", "5", True),
        ("lte", "5.1", "5", False),
    ],
)
def test_comparators(comparator: str, actual: str, target: str, met: bool) -> None:
    assert is_met(comparator, D(actual), D(target)) is met


def test_completion_rate_per_comparator() -> None:
    assert completion_rate("gte", D(250), D(500)) == D("0.5")
    assert completion_rate("gt", D(600), D(500)) == D("1.2")
    assert completion_rate("eq", D(2), D(4)) == D("0.5")
    assert completion_rate("lte", D(10), D(5)) == D("0.5")  # lower is better: target / actual
    assert completion_rate("lte", D(0), D(5)) is None
    assert completion_rate("gte", D(3), D(0)) is None
    assert completion_rate("gte", None, D(5)) is None
    assert completion_rate("gte", D(5), None) is None


HALF = D("0.5")


@pytest.mark.parametrize(
    ("aggregation", "comparator", "actual", "target", "expected"),
    [
        ("sum", "gte", "500", "500", "green"),
        ("sum", "gte", "260", "500", "yellow"),  # 52 % done at half the year
        ("sum", "gte", "250", "500", "yellow"),  # exactly on schedule
        ("sum", "gte", "240", "500", "red"),
        ("ratio", "gte", "60", "100", "yellow"),
        ("ratio", "gt", "50", "50", "yellow"),  # gt not met at equality, but on schedule
        ("ratio", "gte", "40", "100", "red"),
        ("sum", "eq", "4", "3", "red"),  # overshooting an exact target is not progress
        ("sum", "eq", "2", "3", "yellow"),
        ("ratio", "lte", "8", "5", "yellow"),  # 5/8 = 0.625 ≥ 0.5
        ("ratio", "lte", "12", "5", "red"),
        ("min", "gte", "11000", "12000", "red"),  # standards are met or not: no yellow
        ("min", "gte", "12000", "12000", "green"),
        ("none", "gte", "2", "3", "red"),
        ("none", "gte", "3", "3", "green"),
    ],
)
def test_status(aggregation: str, comparator: str, actual: str, target: str, expected: str) -> None:
    assert status_of(aggregation, comparator, D(actual), D(target), HALF) == expected


def test_status_is_grey_without_data_or_target() -> None:
    assert status_of("sum", "gte", None, D(5), HALF) == "grey"
    assert status_of("sum", "gte", D(5), None, HALF) == "grey"


def test_yellow_turns_red_as_the_year_goes_by() -> None:
    assert status_of("sum", "gte", D(300), D(500), D("0.5")) == "yellow"
    assert status_of("sum", "gte", D(300), D(500), D("0.75")) == "red"
    assert status_of("sum", "gte", D(0), D(500), D(0)) == "yellow"


def test_lag_order_puts_the_most_lagging_first() -> None:
    keys = [
        lag_order("green", D("1.2"), "a"),
        lag_order("grey", None, "b"),
        lag_order("yellow", D("0.7"), "c"),
        lag_order("red", D("0.4"), "d"),
        lag_order("red", D("0.1"), "e"),
        lag_order("red", None, "f"),
    ]
    assert [k[-1] for k in sorted(keys)] == ["e", "d", "f", "c", "b", "a"]


# --- periods ---------------------------------------------------------------------------------


def test_periods() -> None:
    year = parse_period("2022")
    assert (year.start, year.end, year.days) == (date(2022, 1, 1), date(2022, 12, 31), 365)
    q3 = parse_period("2024Q3")
    assert (q3.start, q3.end) == (date(2024, 7, 1), date(2024, 9, 30))
    assert parse_period("2024Q4").end == date(2024, 12, 31)
    assert parse_period("2024").days == 366
    for bad in ("22", "2022Q5", "2022-1", "0999"):
        with pytest.raises(ValueError, match="period"):
            parse_period(bad)


def test_elapsed_share_is_clamped_and_counts_the_day_itself() -> None:
    year = parse_period("2022")
    assert elapsed_share(year, date(2021, 12, 31)) == 0
    assert elapsed_share(year, date(2022, 1, 1)) == D(1) / D(365)
    assert elapsed_share(year, date(2022, 7, 2)) == D(183) / D(365)
    assert elapsed_share(year, date(2022, 12, 31)) == 1
    assert elapsed_share(year, date(2026, 3, 1)) == 1
    assert elapsed_share(parse_period("2022Q2"), date(2022, 5, 15)) == D(45) / D(91)
    assert clamp_to(year, date(2026, 3, 1)) == date(2022, 12, 31)
    assert clamp_to(year, date(2022, 3, 1)) == date(2022, 3, 1)


# --- figures ---------------------------------------------------------------------------------


def test_figures_are_exact_decimals() -> None:
    assert parse_figure("83.5") == D("83.5")
    assert parse_figure(500) == D(500)
    assert figure_text(D("12000.00")) == "12000"
    assert figure_text(D("0.500")) == "0.5"
    assert figure_text(D("1E+4")) == "10000"
    assert figure_text(D(0)) == "0"
    assert rounded_text(D(1) / D(3) * 100) == "33.3333"
    assert rounded_text(D("0.66665")) == "0.6667"
    assert rounded_text(None) is None
    for bad in (1.5, True, "-1", "NaN", "Infinity", "1.1234567", "abc", "1e16", None):
        with pytest.raises(ValueError):  # noqa: PT011
            parse_figure(bad)


# --- one indicator evaluated over a tree -----------------------------------------------------


def _indicator(aggregation: str, comparator: str = "gte", scale: int = 1) -> Indicator:
    return Indicator(
        code="x",
        name_zh="x",
        domain="test",
        unit="u",
        aggregation=aggregation,
        comparator=comparator,
        scale=scale,
        region_code=CITY,
    )


def test_evaluate_judges_every_region() -> None:
    result = evaluate(
        _indicator("sum"),
        TREE,
        {A: value("200"), B: value("40")},
        {CITY: D(500), A: D(300), B: D(100)},
        HALF,
        computed=False,
    )
    assert result.nodes[CITY].actual.value == D(240)
    assert result.nodes[CITY].status == "red"
    assert result.nodes[A].status == "yellow"
    assert result.nodes[B].status == "red"
    assert result.nodes[C].status == "grey"
    assert result.nodes[CITY].target.children_sum == D(400)


def test_evaluate_inherits_a_target_from_above_the_tree() -> None:
    county = RegionNode(A, (RegionNode(A1), RegionNode(A2)))
    result = evaluate(
        _indicator("ratio", scale=100),
        county,
        {A1: ratio("1", "2"), A2: ratio("1", "2")},
        {CITY: D(50)},
        HALF,
        computed=False,
    )
    assert result.nodes[A].actual.value == D(50)
    assert result.nodes[A].target.inherited
    assert result.nodes[A].status == "green"


def test_computed_figures_answer_for_the_whole_region() -> None:
    computed_sum = evaluate(
        _indicator("sum", comparator="gt"),
        TREE,
        {CITY: value("9000000"), A: value("5000000"), B: value("1000000")},
        {CITY: D(10000000)},
        HALF,
        computed=True,
    )
    # Trusts filed at the city itself are in the city's figure, not in its counties'.
    assert computed_sum.nodes[CITY].actual.value == D(9000000)
    assert computed_sum.nodes[CITY].actual.reported_children == 0
    computed_min = evaluate(
        _indicator("min"),
        TREE,
        {CITY: value("12000"), A: value("12500"), B: value("11000")},
        {CITY: D(12000)},
        HALF,
        computed=True,
        judge=(CITY, B, C),
    )
    # Each region's actual is the value computed for it (the standard in force there).
    assert computed_min.nodes[CITY].actual.value == D(12000)
    assert computed_min.nodes[CITY].status == "green"
    assert computed_min.nodes[B].status == "red"
    assert A not in computed_min.nodes
    # Where the computation has nothing for a region, its children's figures roll up.
    assert computed_min.nodes[C].status == "grey"
    fallback = evaluate(
        _indicator("min"), TREE, {A: value("12500"), B: value("11000")}, {}, HALF, computed=True
    )
    assert fallback.nodes[CITY].actual.value == D(11000)
