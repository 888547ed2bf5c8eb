"""Proactive discovery (服务找人, seed clause 3): rules that find people entitled to help they
do not yet receive. Pure functions over one member and its household."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.core.calendar import months_before
from app.recipient import tekun


@dataclass(frozen=True, slots=True)
class MemberFacts:
    household_category: str
    household_status: str
    birth_date: date
    disability_grade: int | None
    subsidies: frozenset[str]
    latest_level_code: str | None
    latest_assessed_on: date | None
    relation: str = ""
    household_members: int = 0
    died_on: date | None = None
    latest_next_due_on: date | None = None
    self_care_assessed_on: date | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    title: str


RULES = (
    Rule(
        "disability_living_subsidy_missing",
        "disabled member of a dibao or tekun household without the living subsidy",
    ),
    Rule("disability_nursing_subsidy_missing", "disability grade 1–2 without the nursing subsidy"),
    Rule(
        "elderly_care_missing",
        "aged 60+ in a dibao household, assessed severe or total, without elderly care",
    ),
    Rule("elderly_assessment_missing", "aged 60+ with no capability assessment in the last 12 months"),
    Rule(
        "household_death_review",
        "the head or only member of an active household has died: review the household "
        "(payment runs skip it until it is changed or exits)",
    ),
    Rule(
        "tekun_assessment_missing",
        "tekun member without a current assessment of self-care ability (no care-allowance tier): "
        "aged 60+ no current GB/T 42195-2022 capability assessment, under 60 no self-care "
        "assessment (民发〔2021〕43号 art. 12) within 12 months",
    ),
)
RULE_CODES = tuple(rule.code for rule in RULES)


def hits(facts: MemberFacts, on: date) -> list[tuple[str, str]]:
    """``(rule code, reason)`` for every rule the member meets."""
    found: list[tuple[str, str]] = []
    if facts.died_on is not None:
        # The dead are not offered help; their household is reviewed.
        if facts.relation == "head" or facts.household_members == 1:
            role = "head" if facts.relation == "head" else "only member"
            found.append((RULES[4].code, f"the household's {role} died on {facts.died_on.isoformat()}"))
        return found
    age = (
        on.year
        - facts.birth_date.year
        - ((on.month, on.day) < (facts.birth_date.month, facts.birth_date.day))
    )
    if (
        facts.disability_grade is not None
        and facts.household_category in {"dibao", "tekun"}
        and "disability_living" not in facts.subsidies
    ):
        found.append(
            (
                RULES[0].code,
                f"disability grade {facts.disability_grade} in a "
                f"{facts.household_category} household, no living subsidy",
            )
        )
    if facts.disability_grade in {1, 2} and "disability_nursing" not in facts.subsidies:
        found.append((RULES[1].code, f"disability grade {facts.disability_grade}, no nursing subsidy"))
    if (
        age >= 60
        and facts.household_category == "dibao"
        and facts.latest_level_code in {"severe", "total"}
        and "elderly_care" not in facts.subsidies
    ):
        found.append(
            (RULES[2].code, f"aged {age}, latest assessment {facts.latest_level_code}, no elderly care")
        )
    if age >= 60 and (facts.latest_assessed_on is None or facts.latest_assessed_on < months_before(on, 12)):
        last = facts.latest_assessed_on.isoformat() if facts.latest_assessed_on else "never"
        found.append((RULES[3].code, f"aged {age}, last assessed {last}"))
    if facts.household_category == "tekun":
        found += _tekun_tier_missing(facts, age, on)
    return found


def _tekun_tier_missing(facts: MemberFacts, age: int, on: date) -> list[tuple[str, str]]:
    """The tekun member has no care-allowance tier on ``on`` (as a payment run decides it)."""
    if age >= tekun.SELF_CARE_AGE:
        if facts.latest_next_due_on is not None and facts.latest_next_due_on > on:
            return []
        last = facts.latest_assessed_on.isoformat() if facts.latest_assessed_on else "never"
        return [(RULES[5].code, f"aged {age}, tekun, last assessed {last}: no care-allowance tier")]
    if tekun.self_care_current(facts.self_care_assessed_on, on):
        return []
    last = facts.self_care_assessed_on.isoformat() if facts.self_care_assessed_on else "never"
    return [(RULES[5].code, f"aged {age}, tekun, self-care last assessed {last}: no care-allowance tier")]
