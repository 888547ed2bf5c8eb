"""The care loop's rules, without a database: working days, the workflow, eligibility and
ranking, visit rules and due dates, export cells, import rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from app.care import eligibility, export, importer, visiting, workflow
from app.care.eligibility import Eligibility, PersonFacts
from app.care.filters import NeedFilter, ResourceFilter, VisitFilter
from app.care.workdays import add_working_days
from app.core import calendar


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2027, 1, 4), date(2027, 1, 7)),  # Monday → Thursday
        (date(2027, 1, 6), date(2027, 1, 11)),  # Wednesday → Monday
        (date(2027, 1, 8), date(2027, 1, 13)),  # Friday → Wednesday
        (date(2027, 1, 9), date(2027, 1, 13)),  # Saturday → Wednesday
        (date(2027, 1, 10), date(2027, 1, 13)),  # Sunday → Wednesday
    ],
)
def test_three_working_days(start: date, expected: date) -> None:
    assert add_working_days(start, 3) == expected


def test_referral_moves_and_what_they_do_to_the_need() -> None:
    assert workflow.next_referral_status("accept", "dispatched") == "accepted"
    assert workflow.next_referral_status("decline", "accepted") == "declined"
    assert workflow.next_referral_status("serve", "accepted") == "served"
    assert workflow.next_referral_status("close", "served") == "closed"
    assert workflow.next_referral_status("serve", "dispatched") == "served"
    for action, status in [
        ("serve", "declined"),
        ("accept", "closed"),
        ("decline", "served"),
        ("close", "declined"),
    ]:
        with pytest.raises(workflow.IllegalMove):
            workflow.next_referral_status(action, status)
    assert workflow.NEED_AFTER_REFERRAL == {
        "accept": None,
        "decline": "open",
        "serve": "served",
        "close": "closed",
    }
    assert workflow.allowed_referral_actions("dispatched") == ["accept", "close", "decline", "serve"]
    assert workflow.next_need_status("decline", "referred") == "declined"
    assert workflow.next_need_status("reopen", "withdrawn") == "open"
    with pytest.raises(workflow.IllegalMove, match="reopen applies to declined, withdrawn"):
        workflow.next_need_status("reopen", "closed")


def test_overdue_referrals() -> None:
    accept_by = date(2027, 1, 13)
    assert workflow.overdue("dispatched", accept_by, None, date(2027, 1, 13)) is None
    late = workflow.overdue("dispatched", accept_by, None, date(2027, 1, 14))
    assert late is not None
    assert late.since == accept_by
    assert workflow.overdue("accepted", accept_by, None, date(2027, 2, 1)) is None
    due = workflow.overdue("accepted", accept_by, date(2027, 1, 20), date(2027, 1, 21))
    assert due is not None
    assert due.reason == "not served by 2027-01-20"
    assert workflow.overdue("served", accept_by, date(2027, 1, 20), date(2027, 3, 1)) is None


def test_eligibility_reasons() -> None:
    elder = PersonFacts(category="dibao", age=82, level=3, disability_grade=2)
    rule = Eligibility(categories=("dibao", "tekun"), min_age=60, assessment_levels=(3, 4), disability=True)
    met, failed = eligibility.check(rule, elder)
    assert failed == []
    assert met == [
        "household category dibao is among dibao, tekun",
        "age 82 is within 60–any",
        "latest assessment level 3 (severe) is among 3, 4",
        "has a disability (grade 2)",
    ]
    outsider = PersonFacts(category=None, age=45, level=None, disability_grade=None)
    _met, failed = eligibility.check(rule, outsider)
    assert failed == [
        "household category none (not in the assistance register) is not among dibao, tekun",
        "age 45 is outside 60–any",
        "latest assessment level none is not among 3, 4",
        "no disability recorded; the resource serves disabled people",
    ]
    assert eligibility.check(Eligibility(), outsider) == (
        ["open to everyone (no eligibility conditions)"],
        [],
    )
    assert eligibility.check(Eligibility(max_age=17), PersonFacts("dibao", 17, None, None))[1] == []
    assert eligibility.check(Eligibility(max_age=17), PersonFacts("dibao", 18, None, None))[1] == [
        "age 18 is outside any–17"
    ]
    assert calendar.age_on(date(1944, 5, 20), date(2027, 5, 19)) == 82
    assert calendar.age_on(date(1944, 5, 20), date(2027, 5, 20)) == 83


def test_regions_served_and_ranking() -> None:
    town = "330502001000"
    assert eligibility.serves_region("330500000000", town)
    assert eligibility.serves_region("330502000000", town)
    assert eligibility.serves_region(town, town)
    assert not eligibility.serves_region("330503000000", town)
    assert not eligibility.serves_region("330502001001", town)  # a village does not serve its township
    assert [
        eligibility.distance(r, town) for r in (town, "330502000000", "330500000000", "330000000000")
    ] == [0, 1, 2, 3]
    assert "contains the person's region" in eligibility.region_reason("330500000000", town)
    ranked = sorted(
        [
            ("330500000000", None, "c"),
            (town, 1, "b"),
            (town, None, "a"),
            ("330502000000", 9, "d"),
            (town, 5, "e"),
        ],
        key=lambda x: eligibility.rank_key(x[0], town, x[1], x[2]),
    )
    assert [x[2] for x in ranked] == ["a", "e", "b", "d", "c"]
    assert eligibility.free_places(3, 5) == 0
    assert eligibility.free_places(None, 5) is None


def _facts(**overrides: object) -> visiting.VisitFacts:
    values: dict[str, object] = {
        "birth_date": date(1960, 1, 1),
        "living_alone": False,
        "parents_absent": False,
        "household_category": "dibao",
        "support_mode": None,
        "disability_grade": None,
        "latest_level": None,
        "latest_assessed_on": None,
        "registered_on": date(2020, 1, 1),
    }
    values.update(overrides)
    return visiting.VisitFacts(**values)  # type: ignore[arg-type]


ON = date(2027, 3, 10)


def test_who_falls_under_which_visit_rule() -> None:
    def codes(**overrides: object) -> set[str]:
        return {r.code for r in visiting.starts(_facts(**overrides), ON)}

    assert codes() == set()
    assert codes(birth_date=date(1947, 3, 10), living_alone=True) == {"elderly_living_alone"}
    assert codes(birth_date=date(1947, 3, 11), living_alone=True) == set()  # 79 until tomorrow
    assert codes(birth_date=date(1940, 1, 1)) == set()  # 87 but not alone
    assert codes(household_category="tekun", support_mode="home") == {"tekun_at_home"}
    assert codes(household_category="tekun", support_mode="institution") == set()
    assert codes(household_category="dibao", support_mode="home") == set()
    assert codes(latest_level=3, latest_assessed_on=date(2026, 6, 1)) == {"severe_disability_assessed"}
    assert codes(latest_level=2, latest_assessed_on=date(2026, 6, 1)) == set()
    assert codes(disability_grade=2) == {"severe_disability_household"}
    assert codes(disability_grade=3) == set()
    assert codes(birth_date=date(2010, 1, 1), parents_absent=True) == {"children_parents_absent"}
    assert codes(birth_date=date(2009, 3, 10), parents_absent=True) == set()  # 18 today


def test_due_dates() -> None:
    alone = _facts(birth_date=date(1940, 1, 1), living_alone=True, registered_on=date(2027, 3, 1))
    never = visiting.due(alone, None, ON)
    assert never is not None
    assert (never.rule.code, never.due_on, never.overdue, never.last_visited_on) == (
        "elderly_living_alone",
        date(2027, 3, 1),
        True,
        None,
    )
    fresh = visiting.due(alone, date(2027, 3, 5), ON)
    assert fresh is not None
    assert (fresh.due_on, fresh.overdue) == (date(2027, 3, 12), False)
    on_the_day = visiting.due(alone, date(2027, 3, 3), ON)
    assert on_the_day is not None
    assert (on_the_day.due_on, on_the_day.overdue) == (date(2027, 3, 10), False)
    # Came under the rule at the 80th birthday: due then when never visited; an earlier visit
    # counts as the last one.
    turning = _facts(birth_date=date(1947, 3, 8), living_alone=True)
    found = visiting.due(turning, None, ON)
    assert found is not None
    assert (found.due_on, found.overdue) == (date(2027, 3, 8), True)
    found = visiting.due(turning, date(2027, 3, 5), ON)
    assert found is not None
    assert (found.due_on, found.overdue) == (date(2027, 3, 12), False)
    # Registered after the last visit: the visit still counts.
    late = _facts(birth_date=date(1940, 1, 1), living_alone=True, registered_on=date(2027, 3, 9))
    found = visiting.due(late, date(2027, 2, 20), ON)
    assert found is not None
    assert (found.due_on, found.overdue) == (date(2027, 2, 27), True)
    # Several rules: the earliest due wins, every rule is listed.
    both = _facts(birth_date=date(1940, 1, 1), living_alone=True, disability_grade=1)
    found = visiting.due(both, date(2027, 3, 1), ON)
    assert found is not None
    assert (found.rule.code, found.due_on) == ("elderly_living_alone", date(2027, 3, 8))
    assert [r.code for r in found.rules] == ["elderly_living_alone", "severe_disability_household"]
    # The household rule counts a visit to anyone of the household.
    disabled = _facts(disability_grade=1)
    found = visiting.due(disabled, None, ON, household_visit=date(2027, 3, 1))
    assert found is not None
    assert (found.due_on, found.last_visited_on) == (
        date(2027, 3, 31),
        date(2027, 3, 1),
    )
    assert "last visited 2027-03-01" in visiting.reason(found)
    assert visiting.due(_facts(), None, ON) is None


def test_leap_day_birthdays() -> None:
    assert calendar.born_by(date(2028, 2, 29), 80) == date(1948, 2, 29)
    assert calendar.born_by(date(2027, 2, 28), 80) == date(1947, 2, 28)
    assert calendar.born_by(date(2024, 2, 29), 1) == date(2023, 2, 28)
    assert calendar.anniversary(date(1948, 2, 29), 79) == date(2027, 3, 1)
    assert calendar.anniversary(date(1948, 2, 29), 80) == date(2028, 2, 29)
    assert calendar.born_by(date(2027, 3, 1) - timedelta(days=1), 79) == date(1948, 2, 28)


def test_export_cells_never_carry_formulas() -> None:
    for text in ("=1+1", "+86 138", "-2+A1", "@SUM(A1)", "\tx", "\rx"):
        assert export.neutral(text) == "'" + text
    assert export.neutral("-2.50") == "-2.50"  # a plain number written as text (the shared rule)
    assert export.neutral("张三") == "张三"
    assert export.neutral(-2) == -2
    assert export.neutral(3.5) == 3.5
    assert export.neutral(None) == ""
    assert export.neutral(True) == "true"
    assert export.neutral(date(2027, 1, 2)) == "2027-01-02"


def test_import_rows_read_chinese_labels_and_lists() -> None:
    body = importer.payload(
        {
            "region_code": "330502001000",
            "name": "助餐",
            "provider": "食堂",
            "provider_kind": "社会组织",
            "need_types": "助餐、居家改善|适老化",
            "categories": "dibao;tekun",
            "assessment_levels": "3,4",
            "disability": "是",
            "capacity": "20",
        }
    )
    assert body["provider_kind"] == "social_org"
    assert body["need_types"] == ["meals", "home_adaptation", "home_adaptation"]
    assert body["eligibility"] == {
        "categories": ["dibao", "tekun"],
        "assessment_levels": ["3", "4"],
        "disability": "true",
    }
    assert body["capacity"] == "20"


def test_filter_models_normalise_codes_and_keep_id_numbers_out_of_their_repr() -> None:
    need = NeedFilter(region_code="330502", id_number="33050219500301001x", status="open")
    assert (need.region_code, need.id_number, need.status) == ("330502000000", "33050219500301001X", "open")
    assert "33050219500301001" not in repr(need)
    assert "33050219500301001" not in repr(VisitFilter(id_number="33050219500301001x"))
    assert ResourceFilter(serving="330502", region_code=None).serving == "330502000000"
    with pytest.raises(ValidationError):
        ResourceFilter(serving="330502001")
