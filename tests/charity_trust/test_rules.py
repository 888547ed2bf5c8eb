"""Pure rules: lifecycle, deadlines and late flags, property arithmetic, filing composition."""

from __future__ import annotations

from datetime import date

import pytest

from app.charity_trust import amounts, composition, deadlines, lifecycle
from app.charity_trust.schemas import SupervisorIn, TermIn, TrusteeIn, TrustorIn
from tests.factories import uscc

# lifecycle


@pytest.mark.parametrize(
    ("operation", "before", "after"),
    [("file", "draft", "filed"), ("terminate", "filed", "terminated")],
)
def test_moves(operation: str, before: str, after: str) -> None:
    assert lifecycle.next_status(operation, before) == after


@pytest.mark.parametrize(
    ("operation", "status"),
    [
        ("file", "filed"),
        ("file", "terminated"),
        ("terminate", "draft"),
        ("terminate", "terminated"),
        ("edit", "filed"),
        ("edit", "terminated"),
        ("change", "draft"),
        ("change", "terminated"),
        ("report", "draft"),
        ("report", "terminated"),
        ("publish", "draft"),
    ],
)
def test_operations_refused_in_the_wrong_status(operation: str, status: str) -> None:
    with pytest.raises(lifecycle.IllegalOperation) as caught:
        lifecycle.check(operation, status)
    assert caught.value.status == status
    assert status not in caught.value.allowed


def test_what_each_status_allows() -> None:
    assert lifecycle.operations("draft") == ["edit", "file"]
    assert lifecycle.operations("filed") == ["change", "publish", "report", "terminate"]
    assert lifecycle.operations("terminated") == ["publish"]


def test_initial_status_needs_number_and_date() -> None:
    assert lifecycle.initial_status("浙民慈信备〔2022〕1号", date(2022, 3, 1)) == "filed"
    assert lifecycle.initial_status(None, date(2022, 3, 1)) == "draft"
    assert lifecycle.initial_status("x", None) == "draft"
    assert lifecycle.initial_status(None, None) == "draft"


# deadlines


def test_filing_is_late_after_the_seventh_day() -> None:
    signed = date(2022, 3, 1)
    assert deadlines.filing_due(signed) == date(2022, 3, 8)
    assert not deadlines.filing_late(signed, date(2022, 3, 1))
    assert not deadlines.filing_late(signed, date(2022, 3, 8))
    assert deadlines.filing_late(signed, date(2022, 3, 9))


def test_change_is_late_after_the_seventh_day_and_never_when_filed_early() -> None:
    effective = date(2022, 12, 28)
    assert deadlines.change_due(effective) == date(2023, 1, 4)
    assert not deadlines.change_late(effective, date(2023, 1, 4))
    assert deadlines.change_late(effective, date(2023, 1, 5))
    assert not deadlines.change_late(effective, date(2022, 12, 1))


def test_termination_is_late_after_fifteen_days() -> None:
    ended = date(2023, 2, 10)
    assert deadlines.termination_due(ended) == date(2023, 2, 25)
    assert not deadlines.termination_late(ended, date(2023, 2, 25))
    assert deadlines.termination_late(ended, date(2023, 2, 26))


def test_annual_report_is_due_on_30_april_of_the_next_year() -> None:
    assert deadlines.report_due(2022) == date(2023, 4, 30)
    assert not deadlines.report_late(2022, date(2023, 4, 30))
    assert deadlines.report_late(2022, date(2023, 5, 1))
    assert not deadlines.report_overdue(2022, date(2023, 4, 30))
    assert deadlines.report_overdue(2022, date(2023, 5, 1))


# amounts


def test_property_changes_add_and_withdraw() -> None:
    assert amounts.apply_property_change(100_000, 50_000) == 150_000
    assert amounts.apply_property_change(100_000, -99_999) == 1


@pytest.mark.parametrize("change", [-100_000, -100_001])
def test_property_never_falls_to_zero_or_below(change: int) -> None:
    with pytest.raises(amounts.NonPositiveProperty):
        amounts.apply_property_change(100_000, change)


def test_amount_as_of_counts_only_changes_in_effect() -> None:
    changes = [(date(2022, 6, 1), 50_000), (date(2023, 1, 1), -20_000)]
    assert amounts.amount_on(100_000, changes, date(2022, 5, 31)) == 100_000
    assert amounts.amount_on(100_000, changes, date(2022, 6, 1)) == 150_000
    assert amounts.amount_on(100_000, changes, date(2022, 12, 31)) == 150_000
    assert amounts.amount_on(100_000, changes, date(2023, 1, 1)) == 130_000


def test_in_force_from_filing_until_termination() -> None:
    filed, ended = date(2022, 3, 1), date(2022, 9, 30)
    assert not amounts.in_force_on(None, None, date(2022, 12, 31))
    assert not amounts.in_force_on(filed, None, date(2022, 2, 28))
    assert amounts.in_force_on(filed, None, date(2022, 3, 1))
    assert amounts.in_force_on(filed, ended, date(2022, 9, 29))
    assert not amounts.in_force_on(filed, ended, date(2022, 9, 30))


def test_as_of_is_year_end_or_today() -> None:
    today = date(2026, 6, 15)
    assert amounts.as_of_for_year(2022, today) == date(2022, 12, 31)
    assert amounts.as_of_for_year(2026, today) == today
    assert amounts.filed_in(date(2022, 12, 31), 2022)
    assert not amounts.filed_in(date(2023, 1, 1), 2022)
    assert not amounts.filed_in(None, 2022)


# composition


def _trustee(lead: bool = False, code: str | None = None) -> TrusteeIn:
    return TrusteeIn(name="湖州市慈善总会", uscc=code or uscc(), kind="charity_organisation", lead=lead)


def test_exactly_one_lead_trustee() -> None:
    assert composition.check_trustees([_trustee(True), _trustee()]) == []
    none = composition.check_trustees([_trustee(), _trustee()])
    two = composition.check_trustees([_trustee(True), _trustee(True)])
    assert [p.loc for p in none] == [("trustees",)]
    assert [p.loc for p in two] == [("trustees",)]
    assert "2 are marked" in two[0].msg


def test_a_trustee_listed_twice() -> None:
    code = uscc()
    problems = composition.check_trustees([_trustee(True, code), _trustee(False, code)])
    assert [p.loc for p in problems] == [("trustees", 1, "uscc")]


def test_trustor_credit_codes() -> None:
    trustors = [
        TrustorIn(name="张三", kind="person"),
        TrustorIn(name="某公司", kind="organisation"),
        TrustorIn(name="李四", kind="person", uscc=uscc()),
        TrustorIn(name="某集团", kind="organisation", uscc=uscc()),
    ]
    assert [p.loc for p in composition.check_trustors(trustors)] == [
        ("trustors", 1, "uscc"),
        ("trustors", 2, "uscc"),
    ]


def test_supervisor_cannot_be_a_trustee() -> None:
    code = uscc()
    assert composition.check_supervisor(None, {code}) == []
    assert composition.check_supervisor(SupervisorIn(name="王律师"), {code}) == []
    assert composition.check_supervisor(SupervisorIn(name="某所", uscc=uscc()), {code}) == []
    clash = composition.check_supervisor(SupervisorIn(name="某会", uscc=code), {code})
    assert [p.loc for p in clash] == [("supervisor", "uscc")]


@pytest.mark.parametrize(
    ("term", "ok"),
    [
        (TermIn(perpetual=True), True),
        (TermIn(perpetual=True, end_on=date(2030, 1, 1)), False),
        (TermIn(perpetual=False), False),
        (TermIn(perpetual=False, end_on=date(2022, 3, 1)), False),
        (TermIn(perpetual=False, end_on=date(2022, 3, 2)), True),
    ],
)
def test_term(term: TermIn, ok: bool) -> None:
    problems = composition.check_term(term, date(2022, 3, 1))
    assert (problems == []) is ok
    assert all(p.loc == ("term", "end_on") for p in problems)


def test_filing_number_and_date_come_together() -> None:
    signed, today = date(2022, 3, 1), date(2022, 4, 1)
    assert composition.check_filing(None, None, signed, today) == []
    assert composition.check_filing("n1", date(2022, 3, 2), signed, today) == []
    assert [p.loc for p in composition.check_filing("n1", None, signed, today)] == [("filed_on",)]
    assert [p.loc for p in composition.check_filing(None, date(2022, 3, 2), signed, today)] == [
        ("filing_number",)
    ]
    assert [p.loc for p in composition.check_filing("n1", date(2022, 2, 28), signed, today)] == [
        ("filed_on",)
    ]
    assert [p.loc for p in composition.check_filing("n1", date(2022, 4, 2), signed, today)] == [("filed_on",)]
    assert composition.check_signed_on(date(2022, 4, 2), today)[0].loc == ("signed_on",)


@pytest.mark.parametrize(
    ("change_type", "given", "details", "amount", "locs"),
    [
        ("property", {"amount"}, "", 100, []),
        ("property", set(), "", None, [("amount",)]),
        ("property", {"amount"}, "", 0, [("amount",)]),
        ("property", {"amount", "purpose"}, "", 5, [("purpose",)]),
        ("trustee", {"trustees"}, "", None, []),
        ("trustee", set(), "", None, [("trustees",)]),
        ("trustee", {"trustees", "amount"}, "", 5, [("amount",)]),
        ("purpose", {"purpose_categories"}, "", None, []),
        ("purpose", set(), "", None, [("purpose",)]),
        ("other", set(), "受益人范围调整", None, []),
        ("other", set(), "  ", None, [("details",)]),
        ("other", {"amount"}, "x", 5, [("amount",)]),
    ],
)
def test_change_fields(
    change_type: str, given: set[str], details: str, amount: int | None, locs: list[tuple[str, ...]]
) -> None:
    problems = composition.check_change_fields(change_type, given, details, amount)
    assert [p.loc for p in problems] == locs


def test_check_day_bounds() -> None:
    lo, hi = date(2022, 1, 1), date(2022, 12, 31)
    assert composition.check_day(lo, not_before=lo, not_after=hi, at=("x",), what="d") == []
    assert composition.check_day(hi, not_before=lo, not_after=hi, at=("x",), what="d") == []
    before = composition.check_day(date(2021, 12, 31), not_before=lo, not_after=hi, at=("x",), what="d")
    after = composition.check_day(date(2023, 1, 1), not_before=lo, not_after=hi, at=("x",), what="d")
    assert "before 2022-01-01" in before[0].msg
    assert "after 2022-12-31" in after[0].msg
