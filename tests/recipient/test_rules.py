"""Pure rules: workflow, eligibility, composition, discovery."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.core.calendar import born_by, months_before
from app.recipient import composition, discovery, eligibility, workflow

D = Decimal


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("verify", "applied", "verified"),
        ("approve", "verified", "approved"),
        ("suspend", "approved", "suspended"),
        ("resume", "suspended", "approved"),
        ("exit", "approved", "exited"),
        ("exit", "suspended", "exited"),
        ("reject", "applied", "rejected"),
        ("reject", "verified", "rejected"),
        ("review", "approved", "approved"),
    ],
)
def test_allowed_moves(action: str, before: str, after: str) -> None:
    assert workflow.next_status(action, before) == after


@pytest.mark.parametrize(
    ("action", "before"),
    [
        ("approve", "applied"),
        ("verify", "approved"),
        ("exit", "applied"),
        ("resume", "approved"),
        ("review", "suspended"),
        ("reject", "approved"),
        ("verify", "exited"),
        ("approve", "rejected"),
    ],
)
def test_every_other_move_is_refused(action: str, before: str) -> None:
    with pytest.raises(workflow.IllegalMove, match=f"cannot {action}"):
        workflow.next_status(action, before)


def test_no_move_leaves_a_final_status() -> None:
    for final in ("exited", "rejected"):
        assert workflow.allowed_actions(final) == []


def test_dibao_benefit_is_exact_to_the_fen() -> None:
    # 12000/year → 1000.00/month; 3 people, 1000.00 income → 333.33 per capita.
    result = eligibility.assess("dibao", D("1000.00"), 3, D("12000.00"), D("1.5"))
    assert result.monthly_standard == D("1000.00")
    assert result.per_capita_income == D("333.33")
    assert result.eligible is True
    # On the household: 1000.00 × 3 − 1000.00; per person first would give 2000.01.
    assert result.monthly_benefit == D("2000.00")


def test_dibao_not_eligible_at_or_above_the_standard() -> None:
    at = eligibility.assess("dibao", D("2000.00"), 2, D("12000.00"), None)
    assert at.eligible is False
    assert at.monthly_benefit == D("0.00")


def test_odd_annual_standard_rounds_monthly_half_up() -> None:
    assert eligibility.monthly(D("12345.00")) == D("1028.75")
    assert eligibility.monthly(D("10000.00")) == D("833.33")


def test_dibao_edge_uses_the_multiple_and_pays_nothing() -> None:
    inside = eligibility.assess("dibao_edge", D("2800.00"), 2, D("12000.00"), D("1.5"))
    assert inside.eligible is True
    assert inside.monthly_benefit == D("0.00")
    outside = eligibility.assess("dibao_edge", D("3000.00"), 2, D("12000.00"), D("1.5"))
    assert outside.eligible is False


def test_without_a_standard_nothing_is_decided() -> None:
    result = eligibility.assess("dibao", D("0"), 1, None, None)
    assert result.eligible is None
    assert "no dibao standard" in result.rule


def test_composition_rules() -> None:
    assert composition.check_members(["head", "spouse"], ["a", "b"]) == []
    none = composition.check_members(["spouse"], ["a"])
    assert none[0].loc == ("body", "members")
    two = composition.check_members(["head", "head"], ["a", "b"])
    assert two[0].loc == ("body", "members", 1, "relation")
    dup = composition.check_members(["head", "child"], ["a", "a"])
    assert dup[0].loc == ("body", "members", 1, "id_number")


def _facts(**kw: object) -> discovery.MemberFacts:
    base: dict[str, object] = {
        "household_category": "dibao",
        "household_status": "approved",
        "birth_date": date(1980, 1, 1),
        "disability_grade": None,
        "subsidies": frozenset(),
        "latest_level_code": None,
        "latest_assessed_on": None,
    }
    base.update(kw)
    return discovery.MemberFacts(**base)  # type: ignore[arg-type]


def _codes(facts: discovery.MemberFacts, on: date = date(2026, 6, 1)) -> list[str]:
    return [code for code, _reason in discovery.hits(facts, on)]


def test_discovery_disability_rules() -> None:
    assert _codes(_facts(disability_grade=3)) == ["disability_living_subsidy_missing"]
    assert _codes(_facts(disability_grade=1)) == [
        "disability_living_subsidy_missing",
        "disability_nursing_subsidy_missing",
    ]
    assert (
        _codes(_facts(disability_grade=2, subsidies=frozenset({"disability_living", "disability_nursing"})))
        == []
    )
    assert _codes(_facts(disability_grade=3, household_category="dibao_edge")) == []


def test_discovery_elderly_rules() -> None:
    old = date(1950, 1, 1)
    assert _codes(_facts(birth_date=old)) == ["elderly_assessment_missing"]
    assessed = _facts(birth_date=old, latest_level_code="severe", latest_assessed_on=date(2026, 1, 1))
    assert _codes(assessed) == ["elderly_care_missing"]
    cared = _facts(
        birth_date=old,
        latest_level_code="total",
        latest_assessed_on=date(2026, 1, 1),
        subsidies=frozenset({"elderly_care"}),
    )
    assert _codes(cared) == []
    stale = _facts(birth_date=old, latest_level_code="mild", latest_assessed_on=date(2025, 5, 1))
    assert _codes(stale) == ["elderly_assessment_missing"]
    turning_sixty = _facts(birth_date=date(1966, 6, 2))
    assert _codes(turning_sixty) == []
    assert _codes(turning_sixty, date(2026, 6, 2)) == ["elderly_assessment_missing"]


def test_ages_and_month_spans_keep_the_day() -> None:

    assert born_by(date(2026, 12, 31), 60) == date(1966, 12, 31)
    assert born_by(date(2028, 2, 29), 60) == date(1968, 2, 29)
    assert born_by(date(2024, 2, 29), 61) == date(1963, 2, 28)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 12, 30), 12) == date(2025, 12, 30)
