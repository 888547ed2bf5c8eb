"""Visit rules (探访关爱): who is visited, how often, and when the next visit is due.

| rule | who | every |
|---|---|---|
| ``elderly_living_alone`` | aged 80 and over, living alone (80岁及以上独居) | 7 days |
| ``tekun_at_home`` | tekun household members supported at home (分散供养特困人员) | 30 days |
| ``severe_disability_assessed`` | latest assessment level 3 or 4 (重度/完全失能) | 30 days |
| ``severe_disability_household`` | a member of grade 1–2 disability (一、二级残疾) | 30 days |
| ``children_parents_absent`` | under 18, both parents absent (父母双方缺位) | 30 days |

Why these intervals: the Ministry of Civil Affairs and nine other departments' October 2022
guideline on visiting elderly people in special difficulty (《关于开展特殊困难老年人探访关爱服务的
指导意见》) covers people living alone, disabled and severely handicapped, and asks for a monthly
visit rate of 100 % by the end of 2025; regional rules of the same year (Inner Mongolia's, for
one) visit high-risk people — 80 and over living alone — at least once a week, and key groups —
disabled or demented elders, dispersed tekun members, orphans and children in difficulty — at
least once a month. "Monthly" is kept as 30 days, so a visit is never more than 30 days after
the last one.

Due date: the last visit + the interval (a visit made before the person came under the rule
counts too); a person never visited is due the day they came under it (registration in the
assistance register, the 80th birthday, the assessment that found level 3 or 4). Overdue: the
due date has passed. A person under several rules is due by the earliest of them. The household rule counts
a visit to anyone of the household.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from app.core.calendar import anniversary, born_by

RuleCode = Literal[
    "elderly_living_alone",
    "tekun_at_home",
    "severe_disability_assessed",
    "severe_disability_household",
    "children_parents_absent",
]


@dataclass(frozen=True, slots=True)
class VisitRule:
    code: str
    title_zh: str
    title_en: str
    interval_days: int


ELDERLY_LIVING_ALONE = VisitRule(
    "elderly_living_alone", "80岁及以上独居老人", "Aged 80 and over, living alone", 7
)
TEKUN_AT_HOME = VisitRule(
    "tekun_at_home", "分散供养特困人员", "Tekun members supported at home (分散供养)", 30
)
SEVERE_DISABILITY_ASSESSED = VisitRule(
    "severe_disability_assessed",
    "能力评估重度或完全失能",
    "Latest capability assessment level 3 or 4 (severe or total disability)",
    30,
)
SEVERE_DISABILITY_HOUSEHOLD = VisitRule(
    "severe_disability_household",
    "有一、二级残疾人的家庭",
    "Households with a member of grade 1–2 disability",
    30,
)
CHILDREN_PARENTS_ABSENT = VisitRule(
    "children_parents_absent",
    "父母双方缺位的困难家庭儿童",
    "Children in assistance households whose parents are both absent",
    30,
)
RULES: tuple[VisitRule, ...] = (
    ELDERLY_LIVING_ALONE,
    TEKUN_AT_HOME,
    SEVERE_DISABILITY_ASSESSED,
    SEVERE_DISABILITY_HOUSEHOLD,
    CHILDREN_PARENTS_ABSENT,
)
RULE_BY_CODE = {rule.code: rule for rule in RULES}

ELDERLY_AGE = 80
CHILD_AGE = 18
SEVERE_LEVELS = (3, 4)
SEVERE_GRADES = (1, 2)
ASSESSABLE_AGE = 60
"""Capability assessments are of people 60 and over: only they can fall under the level rule."""


@dataclass(frozen=True, slots=True)
class VisitFacts:
    birth_date: date
    living_alone: bool
    parents_absent: bool
    household_category: str
    support_mode: str | None
    disability_grade: int | None
    latest_level: int | None
    latest_assessed_on: date | None
    registered_on: date


@dataclass(frozen=True, slots=True)
class Due:
    rule: VisitRule
    rules: tuple[VisitRule, ...]
    due_on: date
    overdue: bool
    last_visited_on: date | None


def starts(facts: VisitFacts, on: date) -> dict[VisitRule, date]:
    """The rules the person is under on ``on``, each with the day they came under it."""
    found: dict[VisitRule, date] = {}
    registered = facts.registered_on
    if facts.living_alone and facts.birth_date <= born_by(on, ELDERLY_AGE):
        found[ELDERLY_LIVING_ALONE] = max(registered, anniversary(facts.birth_date, ELDERLY_AGE))
    if facts.household_category == "tekun" and facts.support_mode == "home":
        found[TEKUN_AT_HOME] = registered
    if facts.latest_level in SEVERE_LEVELS and facts.latest_assessed_on is not None:
        found[SEVERE_DISABILITY_ASSESSED] = max(registered, facts.latest_assessed_on)
    if facts.disability_grade in SEVERE_GRADES:
        found[SEVERE_DISABILITY_HOUSEHOLD] = registered
    if facts.parents_absent and facts.birth_date > born_by(on, CHILD_AGE):
        found[CHILDREN_PARENTS_ABSENT] = registered
    return found


def due_under(rule: VisitRule, start: date, last_visit: date | None) -> date:
    """When the next visit under ``rule`` is due."""
    if last_visit is None:
        return start
    return last_visit + timedelta(days=rule.interval_days)


def last_visit_under(rule: VisitRule, person: date | None, household: date | None) -> date | None:
    """The visit that counts for ``rule``: the household rule counts a visit to anyone of the
    household, the others a visit to the person."""
    if rule is SEVERE_DISABILITY_HOUSEHOLD:
        return max((d for d in (person, household) if d is not None), default=None)
    return person


def due(
    facts: VisitFacts, last_visit: date | None, on: date, *, household_visit: date | None = None
) -> Due | None:
    """The person's next visit: the rule that makes it due first, the day, and whether it is
    overdue on ``on``; None when no rule applies. ``household_visit`` is the latest visit to
    anyone of the person's household."""
    under = starts(facts, on)
    if not under:
        return None
    ranked = sorted(
        (
            (
                due_under(rule, start, last_visit_under(rule, last_visit, household_visit)),
                RULES.index(rule),
                rule,
            )
            for rule, start in under.items()
        ),
    )
    due_on, _index, first = ranked[0]
    ordered = tuple(rule for rule in RULES if rule in under)
    return Due(
        rule=first,
        rules=ordered,
        due_on=due_on,
        overdue=on > due_on,
        last_visited_on=last_visit_under(first, last_visit, household_visit),
    )


def reason(item: Due) -> str:
    """One line for discoveries: the rule, the last visit and the due date."""
    last = item.last_visited_on.isoformat() if item.last_visited_on else "never"
    return (
        f"{item.rule.code} (every {item.rule.interval_days} days): last visited {last}, "
        f"due {item.due_on.isoformat()}"
    )
