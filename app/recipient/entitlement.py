"""What a payment run owes one household, or one member's disability subsidy, for a month.

Pure functions over facts the run has gathered (members, deaths, assessments, standards in
force on the first day of the month), in whole fen. Every amount not paid comes back as a
:class:`Skip` with a reason, so a run can say why.

Rules:

- a household (or a subsidy) is paid from the month of its approval;
- a member who died is paid up to and including the month of death, never after; members who
  died before the month do not count (a dibao household of three with one death is paid as two);
- a household whose head, or only member, died before the month is under review: the run
  skips it until the household is changed (the deceased removed, a new head) or exits;
- dibao: ``monthly standard × living members − household income`` when positive
  (:mod:`app.recipient.eligibility`); tekun: the basic living standard per living member, and
  the care allowance of the member's tier (:mod:`app.recipient.tekun`: from 60 the GB/T 42195
  capability assessment, under 60 the self-care record; neither in force → skipped with
  ``no_current_assessment``); dibao_edge and
  temporary households have no monthly household payment;
- disability living subsidy: members with a disability in an approved dibao or dibao_edge
  household; nursing subsidy: disability grade 1–2.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from app.core.money import from_fen
from app.recipient.eligibility import dibao_benefit_fen
from app.recipient.tekun import TIER_NAME, Tier

LIVING_CATEGORIES = frozenset({"dibao", "dibao_edge"})
NURSING_GRADES = frozenset({1, 2})


@dataclass(frozen=True, slots=True)
class Person:
    member_id: uuid.UUID
    relation: str
    died_on: date | None = None
    disability_grade: int | None = None
    care_tier: Tier | None = None
    assessment_note: str = "no capability assessment in force"

    def died_before(self, month: str) -> bool:
        return self.died_on is not None and self.died_on.strftime("%Y-%m") < month


@dataclass(frozen=True, slots=True)
class Rates:
    """Standards in force on the first day of the month, in fen (None: none in force)."""

    dibao_monthly: int | None = None
    tekun_basic_monthly: int | None = None
    care: dict[Tier, int | None] = field(default_factory=dict)
    living_monthly: int | None = None
    nursing_monthly: int | None = None


@dataclass(frozen=True, slots=True)
class Household:
    household_id: uuid.UUID
    category: str
    income_fen: int
    approved_on: date | None
    people: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class Subsidy:
    kind: str
    household_category: str
    household_status: str
    approved_on: date | None
    person: Person


@dataclass(frozen=True, slots=True)
class Due:
    kind: str
    member_id: uuid.UUID | None
    amount_fen: int
    member_count: int


@dataclass(frozen=True, slots=True)
class Skip:
    kind: str
    member_id: uuid.UUID | None
    reason_code: str
    reason: str


Outcome = tuple[list[Due], list[Skip]]


def _month(day: date | None) -> str | None:
    return day.strftime("%Y-%m") if day else None


def under_review(people: tuple[Person, ...], month: str) -> Person | None:
    """The head (or only member) whose death before ``month`` puts the household under review."""
    for person in people:
        if person.died_before(month) and (person.relation == "head" or len(people) == 1):
            return person
    return None


def household_dues(household: Household, rates: Rates, month: str) -> Outcome:
    kind = "tekun_basic" if household.category == "tekun" else household.category
    approved = _month(household.approved_on)
    if approved is None or approved > month:
        return [], [Skip(kind, None, "approved_later", f"approved in {approved}; paid from that month")]
    dead = under_review(household.people, month)
    if dead is not None:
        role = "head" if dead.relation == "head" else "only member"
        return [], [
            Skip(
                kind,
                None,
                "death_review",
                f"the household's {role} died on {dead.died_on}; the household is flagged for review "
                "and is not paid until it is changed or exits",
            )
        ]
    skips = [
        Skip(kind, p.member_id, "died", f"died on {p.died_on}; paid up to and including that month")
        for p in household.people
        if p.died_before(month)
    ]
    living = [p for p in household.people if not p.died_before(month)]
    if household.category == "dibao":
        dues, more = _dibao(household, living, rates)
    elif household.category == "tekun":
        dues, more = _tekun(living, rates)
    elif household.category == "dibao_edge":
        dues, more = (
            [],
            [Skip(kind, None, "no_cash_benefit", "dibao-edge households have no monthly cash benefit")],
        )
    else:
        dues, more = (
            [],
            [Skip(kind, None, "one_off_only", "temporary assistance is paid by grants, not monthly")],
        )
    return dues, skips + more


def _dibao(household: Household, living: list[Person], rates: Rates) -> Outcome:
    if rates.dibao_monthly is None:
        return [], [
            Skip("dibao", None, "no_standard", "no dibao standard is in force for the household's region")
        ]
    benefit = dibao_benefit_fen(rates.dibao_monthly, len(living), household.income_fen)
    if benefit is None:
        threshold = from_fen(rates.dibao_monthly * len(living))
        return [], [
            Skip(
                "dibao",
                None,
                "not_eligible",
                f"household income {from_fen(household.income_fen)} is not below "
                f"{from_fen(rates.dibao_monthly)} × {len(living)} = {threshold}",
            )
        ]
    return [Due("dibao", None, benefit, len(living))], []


def _tekun(living: list[Person], rates: Rates) -> Outcome:
    dues: list[Due] = []
    skips: list[Skip] = []
    for person in living:
        if rates.tekun_basic_monthly is None:
            skips.append(
                Skip(
                    "tekun_basic", person.member_id, "no_standard", "no tekun basic living standard in force"
                )
            )
        else:
            dues.append(Due("tekun_basic", person.member_id, rates.tekun_basic_monthly, 1))
        if person.care_tier is None:
            skips.append(
                Skip("tekun_care", person.member_id, "no_current_assessment", person.assessment_note)
            )
            continue
        amount = rates.care.get(person.care_tier)
        if amount is None:
            skips.append(
                Skip(
                    "tekun_care",
                    person.member_id,
                    "no_standard",
                    f"no care standard in force for tier {person.care_tier} ({TIER_NAME[person.care_tier]})",
                )
            )
        else:
            dues.append(Due("tekun_care", person.member_id, amount, 1))
    return dues, skips


def subsidy_dues(subsidy: Subsidy, rates: Rates, month: str) -> Outcome:
    person = subsidy.person
    approved = _month(subsidy.approved_on)
    if approved is None or approved > month:
        return [], [
            Skip(
                subsidy.kind,
                person.member_id,
                "approved_later",
                f"approved in {approved}; paid from that month",
            )
        ]
    if person.died_before(month):
        return [], [
            Skip(
                subsidy.kind,
                person.member_id,
                "died",
                f"died on {person.died_on}; paid up to and including that month",
            )
        ]
    reason = _subsidy_refusal(subsidy)
    if reason:
        return [], [Skip(subsidy.kind, person.member_id, "not_eligible", reason)]
    amount = rates.living_monthly if subsidy.kind == "disability_living" else rates.nursing_monthly
    if amount is None:
        return [], [
            Skip(subsidy.kind, person.member_id, "no_standard", f"no {subsidy.kind} standard in force")
        ]
    return [Due(subsidy.kind, person.member_id, amount, 1)], []


def _subsidy_refusal(subsidy: Subsidy) -> str | None:
    grade = subsidy.person.disability_grade
    if grade is None:
        return "the member has no recorded disability grade"
    if subsidy.kind == "disability_nursing" and grade not in NURSING_GRADES:
        return f"the nursing subsidy is for disability grades 1–2, not {grade}"
    if subsidy.kind == "disability_living" and (
        subsidy.household_category not in LIVING_CATEGORIES or subsidy.household_status != "approved"
    ):
        return (
            "the living subsidy is for members of approved dibao or dibao-edge households; the household "
            f"is {subsidy.household_category}, {subsidy.household_status}"
        )
    return None
