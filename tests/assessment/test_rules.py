"""Pure scoring rules of GB/T 42195-2022: items, totals, levels, level changes, due dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from pydantic import ValidationError

from app.assessment import scoring, standards
from app.assessment.schemas import AssessmentFilter
from app.assessment.tables import TABLES, Conditions, LevelBand, check_table, level_codes
from app.core.calendar import add_months
from tests.assessment.helpers import TABLE, comatose, full_marks, items_totalling
from tests.factories import id_number

NONE = Conditions()


def test_table_has_the_26_items_of_the_standard() -> None:
    ranges = {item.code: item.max for item in TABLE.items}
    assert ranges == {
        "eating": 4,
        "grooming": 4,
        "bathing": 4,
        "dressing_upper": 4,
        "dressing_lower": 4,
        "urination": 4,
        "defecation": 4,
        "toileting": 4,
        "bed_mobility": 4,
        "transfer": 4,
        "walking": 4,
        "stairs": 3,
        "orientation_time": 4,
        "orientation_place": 4,
        "orientation_person": 4,
        "memory": 4,
        "comprehension": 4,
        "expression": 4,
        "aggression": 1,
        "depression": 1,
        "consciousness": 2,
        "vision": 2,
        "hearing": 2,
        "daily_affairs": 4,
        "transport": 3,
        "social_interaction": 4,
    }
    assert TABLE.max_total == 90
    assert {d.code: TABLE.dimension_max(d.code) for d in TABLE.dimensions} == {
        "self_care": 32,
        "mobility": 15,
        "mental": 28,
        "perception_social": 15,
    }
    assert TABLE.reassessment_months == 12
    assert TABLES["GB/T 42195-2022"] is TABLE


@pytest.mark.parametrize(
    ("total", "level", "code", "name"),
    [
        (90, 0, "intact", "能力完好"),
        (89, 1, "mild", "轻度失能"),
        (66, 1, "mild", "轻度失能"),
        (65, 2, "moderate", "中度失能"),
        (46, 2, "moderate", "中度失能"),
        (45, 3, "severe", "重度失能"),
        (30, 3, "severe", "重度失能"),
        (29, 4, "total", "完全失能"),
        (0, 4, "total", "完全失能"),
    ],
)
def test_totals_land_in_their_level(total: int, level: int, code: str, name: str) -> None:
    result = scoring.score(TABLE, items_totalling(total), NONE)
    assert result.total == total
    assert (result.base_level, result.level, result.level_code, result.level_name) == (
        level,
        level,
        code,
        name,
    )
    assert result.adjustments == ()


def test_dimension_scores_add_up() -> None:
    items = full_marks()
    items["stairs"] = 1
    items["memory"] = 2
    items["aggression"] = 0
    items["transport"] = 0
    result = scoring.score(TABLE, items, NONE)
    assert result.dimensions == {"self_care": 32, "mobility": 13, "mental": 25, "perception_social": 12}
    assert result.total == 82 == sum(result.dimensions.values())


@pytest.mark.parametrize(
    ("conditions", "applied"),
    [
        (Conditions(dementia=True), ("mental_disorder",)),
        (Conditions(psychiatric_disorder=True), ("mental_disorder",)),
        (Conditions(care_risk_events_30d=2), ("care_risk_events",)),
        (Conditions(care_risk_events_30d=5), ("care_risk_events",)),
    ],
)
def test_each_level_change_alone_raises_one_level(conditions: Conditions, applied: tuple[str, ...]) -> None:
    for total, base in ((90, 0), (70, 1), (50, 2), (40, 3)):
        result = scoring.score(TABLE, items_totalling(total), conditions)
        assert result.base_level == base
        assert result.level == base + 1
        assert result.adjustments == applied


def test_one_care_risk_event_changes_nothing() -> None:
    result = scoring.score(TABLE, items_totalling(70), Conditions(care_risk_events_30d=1))
    assert (result.level, result.adjustments) == (1, ())


def test_dementia_and_another_disorder_raise_one_level_together() -> None:
    result = scoring.score(TABLE, items_totalling(70), Conditions(dementia=True, psychiatric_disorder=True))
    assert (result.base_level, result.level, result.adjustments) == (1, 2, ("mental_disorder",))


def test_both_raises_do_not_stack() -> None:
    # GB/T 42195-2022, 能力等级变更依据: each condition raises one grade above the original
    # level (在原有能力级别上提高一个等级), so both together still raise one; both are listed.
    result = scoring.score(TABLE, items_totalling(90), Conditions(dementia=True, care_risk_events_30d=3))
    assert (result.base_level, result.level, result.level_code) == (0, 1, "mild")
    assert result.adjustments == ("mental_disorder", "care_risk_events")
    both = scoring.score(
        TABLE, items_totalling(50), Conditions(psychiatric_disorder=True, care_risk_events_30d=2)
    )
    assert (both.base_level, both.level) == (2, 3)


def test_coma_must_agree_with_the_consciousness_item() -> None:
    awake = full_marks()
    problems = scoring.check_conditions(TABLE, awake, Conditions(coma=True))
    assert [p.loc for p in problems] == [("body", "items", "consciousness")]
    assert "coma" in problems[0].msg
    drowsy = {**awake, "consciousness": 1}
    assert [p.loc for p in scoring.check_conditions(TABLE, drowsy, Conditions(coma=True))] == [
        ("body", "items", "consciousness")
    ]
    comatose = {**awake, "consciousness": 0}
    assert scoring.check_conditions(TABLE, comatose, Conditions(coma=True)) == []
    assert scoring.check_conditions(TABLE, awake, Conditions()) == []


@pytest.mark.parametrize(
    ("total", "conditions", "base"),
    [
        (40, Conditions(dementia=True, care_risk_events_30d=2), 3),
        (20, Conditions(dementia=True), 4),
        (10, Conditions(psychiatric_disorder=True, care_risk_events_30d=4), 4),
        (35, Conditions(care_risk_events_30d=2), 3),
    ],
)
def test_level_never_passes_four(total: int, conditions: Conditions, base: int) -> None:
    result = scoring.score(TABLE, items_totalling(total), conditions)
    assert result.base_level == base
    assert (result.level, result.level_code) == (4, "total")


def test_cap_at_four_from_severe() -> None:
    result = scoring.score(TABLE, items_totalling(35), Conditions(dementia=True, care_risk_events_30d=2))
    assert (result.base_level, result.level, result.level_code, result.level_name) == (
        3,
        4,
        "total",
        "完全失能",
    )


@pytest.mark.parametrize("total", [88, 70, 50, 35, 0])
def test_coma_is_rated_total_directly(total: int) -> None:
    result = scoring.score(TABLE, comatose(total), Conditions(coma=True, dementia=True))
    assert result.level == 4
    assert result.level_code == "total"
    assert result.adjustments == ("coma",)
    assert result.total == total
    assert result.base_level == scoring.band_for(TABLE, total).level


def test_check_items_reports_every_problem_at_its_item() -> None:
    items = full_marks()
    del items["stairs"]
    del items["eating"]
    items["aggression"] = 2
    items["consciousness"] = -1
    items["jumping"] = 1
    problems = scoring.check_items(TABLE, items)
    assert [p.loc for p in problems] == [
        ("body", "items", "eating"),
        ("body", "items", "stairs"),
        ("body", "items", "aggression"),
        ("body", "items", "consciousness"),
        ("body", "items", "jumping"),
    ]
    assert "0–1" in problems[2].msg
    with pytest.raises(ValueError, match="required"):
        scoring.score(TABLE, items, NONE)


def test_check_items_accepts_full_and_empty_marks() -> None:
    assert scoring.check_items(TABLE, full_marks()) == []
    assert scoring.check_items(TABLE, items_totalling(0)) == []
    assert set(items_totalling(0).values()) == {0}


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (date(2024, 3, 15), 12, date(2025, 3, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2023, 12, 31), 12, date(2024, 12, 31)),
    ],
)
def test_add_months(day: date, months: int, due: date) -> None:
    assert add_months(day, months) == due


def test_next_due_uses_the_tables_interval() -> None:
    assert scoring.next_due(TABLE, date(2024, 5, 6)) == date(2025, 5, 6)
    six = replace(TABLE, reassessment_months=6)
    assert scoring.next_due(six, date(2024, 5, 6)) == date(2024, 11, 6)


def test_a_table_with_other_bands_scores_by_its_own_bands() -> None:
    three = replace(
        TABLE,
        code="TEST-3",
        bands=(
            LevelBand(0, "able", "能力完好", 80, 90),
            LevelBand(1, "partly", "部分失能", 40, 79),
            LevelBand(2, "unable", "完全失能", 0, 39),
        ),
    )
    check_table(three)
    assert scoring.score(three, items_totalling(85), NONE).level_code == "able"
    capped = scoring.score(three, items_totalling(45), Conditions(dementia=True, care_risk_events_30d=2))
    assert (capped.base_level, capped.level) == (1, 2)
    assert scoring.score(three, items_totalling(90), Conditions(coma=True)).level == 2


def test_check_table_refuses_gaps_and_overlaps() -> None:
    gap = replace(TABLE, bands=(*TABLE.bands[:-1], LevelBand(4, "total", "完全失能", 0, 28)))
    with pytest.raises(ValueError, match="cover"):
        check_table(gap)
    overlap = replace(TABLE, bands=(*TABLE.bands[:-1], LevelBand(4, "total", "完全失能", 0, 30)))
    with pytest.raises(ValueError, match="cover"):
        check_table(overlap)


def test_described_standard_carries_the_form() -> None:
    (described,) = standards.describe_all("GB/T 42195-2022")
    assert described.default
    assert described.max_total == 90
    assert len(described.items) == 26
    stairs = next(i for i in described.items if i.code == "stairs")
    assert (stairs.name, stairs.min, stairs.max, stairs.dimension) == ("上下楼梯", 0, 3, "mobility")
    assert [o.score for o in stairs.options] == [3, 2, 1, 0]
    assert all(o.label for i in described.items for o in i.options)
    assert [(lv.code, lv.min_total, lv.max_total) for lv in described.levels] == [
        ("intact", 90, 90),
        ("mild", 66, 89),
        ("moderate", 46, 65),
        ("severe", 30, 45),
        ("total", 0, 29),
    ]
    assert [c.code for c in described.level_changes] == ["coma", "mental_disorder", "care_risk_events"]
    assert standards.describe_all("MZ/T 039-2013") == []
    assert level_codes() == ["intact", "mild", "moderate", "severe", "total"]


def test_the_list_filter_normalises_and_keeps_the_id_number_out_of_its_repr() -> None:
    person = id_number("330502")
    filters = AssessmentFilter(region_code="330502", id_number=person.lower(), level_code="mild")
    assert filters.region_code == "330502000000"
    assert filters.id_number == person.upper()
    assert person.upper() not in repr(filters)
    with pytest.raises(ValidationError, match="level_code must be one of"):
        AssessmentFilter(level_code="worst")
