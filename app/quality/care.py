"""Quality checks of the care loop: overdue visits, overdue referrals, resources over capacity.

``visit_overdue`` is the SQL form of the visit rules in :mod:`app.care.visiting` (the due list
and the ``visit_overdue`` discovery compute the same in Python; a test holds them equal): a
person is overdue under a rule when their last visit (or, for the household rule, the last
visit to anyone of the household) is older than the rule's interval, or — never visited — when
they came under the rule before today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, Table, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from app.assessment.models import Assessment
from app.assessment.port import LEVEL_OF_CODE
from app.care import visiting
from app.care.models import Referral, Resource, Visit
from app.care.workflow import ACTIVE_REFERRAL
from app.core.calendar import born_by
from app.recipient.models import Household, Member
from app.recipient.workflow import ACTIVE_STATUSES


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


H, M, A, V = _t(Household), _t(Member), _t(Assessment), _t(Visit)
REF, RES = _t(Referral), _t(Resource)
SEVERE_CODES = tuple(sorted(code for code, level in LEVEL_OF_CODE.items() if level in visiting.SEVERE_LEVELS))


def _overdue(last: Any, rule: visiting.VisitRule, today: date, came_under_before_today: Any) -> Any:
    """Last visited longer ago than the interval, or never visited and under the rule since
    before today."""
    return or_(
        and_(last.is_not(None), last < today - timedelta(days=rule.interval_days)),
        and_(last.is_(None), came_under_before_today),
    )


def latest_severe() -> Any:
    """(ID hash, assessed on) of the people whose latest current assessment is level 3 or 4."""
    later = aliased(A)
    newer = exists().where(
        later.c.id_number_hash == A.c.id_number_hash,
        later.c.deleted_at.is_(None),
        later.c.superseded_by.is_(None),
        or_(
            later.c.assessed_on > A.c.assessed_on,
            and_(
                later.c.assessed_on == A.c.assessed_on,
                or_(
                    later.c.created_at > A.c.created_at,
                    and_(later.c.created_at == A.c.created_at, later.c.id > A.c.id),
                ),
            ),
        ),
    )
    return (
        select(A.c.id_number_hash, A.c.assessed_on)
        .where(
            A.c.deleted_at.is_(None), A.c.superseded_by.is_(None), A.c.level_code.in_(SEVERE_CODES), ~newer
        )
        .subquery("severe")
    )


@dataclass(frozen=True, slots=True)
class Facts:
    """The columns the visit rules read about a member: their own, their household's, their
    latest severe assessment (null when none) and their last visits (null when never)."""

    living_alone: Any
    birth_date: Any
    parents_absent: Any
    disability_grade: Any
    category: Any
    support_mode: Any
    applied_on: Any
    severe_hash: Any
    severe_on: Any
    person_last: Any
    household_last: Any


def under_a_rule(facts: Facts, today: date) -> Any:
    """The member comes under at least one visit rule (whether overdue or not)."""
    return or_(
        and_(facts.living_alone.is_(True), facts.birth_date <= born_by(today, visiting.ELDERLY_AGE)),
        and_(facts.category == "tekun", facts.support_mode == "home"),
        facts.severe_hash.is_not(None),
        facts.disability_grade.in_(visiting.SEVERE_GRADES),
        and_(facts.parents_absent.is_(True), facts.birth_date > born_by(today, visiting.CHILD_AGE)),
    )


def overdue_under(facts: Facts, today: date) -> dict[visiting.VisitRule, Any]:
    """Each visit rule's condition: the member is under the rule and overdue on ``today``."""
    yesterday = today - timedelta(days=1)
    registered = facts.applied_on < today
    person = facts.person_last
    household = facts.household_last
    rule = visiting.SEVERE_DISABILITY_HOUSEHOLD
    cutoff = today - timedelta(days=rule.interval_days)
    return {
        visiting.ELDERLY_LIVING_ALONE: and_(
            facts.living_alone.is_(True),
            facts.birth_date <= born_by(today, visiting.ELDERLY_AGE),
            _overdue(
                person,
                visiting.ELDERLY_LIVING_ALONE,
                today,
                and_(registered, facts.birth_date <= born_by(yesterday, visiting.ELDERLY_AGE)),
            ),
        ),
        visiting.TEKUN_AT_HOME: and_(
            facts.category == "tekun",
            facts.support_mode == "home",
            _overdue(person, visiting.TEKUN_AT_HOME, today, registered),
        ),
        visiting.SEVERE_DISABILITY_ASSESSED: and_(
            facts.severe_hash.is_not(None),
            _overdue(
                person,
                visiting.SEVERE_DISABILITY_ASSESSED,
                today,
                and_(registered, facts.severe_on < today),
            ),
        ),
        # A visit to the person or to anyone of the household counts, whichever is later.
        rule: and_(
            facts.disability_grade.in_(visiting.SEVERE_GRADES),
            or_(
                and_(person.is_(None), household.is_(None), registered),
                and_(
                    or_(person.is_not(None), household.is_not(None)),
                    or_(person.is_(None), person < cutoff),
                    or_(household.is_(None), household < cutoff),
                ),
            ),
        ),
        visiting.CHILDREN_PARENTS_ABSENT: and_(
            facts.parents_absent.is_(True),
            facts.birth_date > born_by(today, visiting.CHILD_AGE),
            _overdue(person, visiting.CHILDREN_PARENTS_ABSENT, today, registered),
        ),
    }


# Older than any rule's interval: a visit before every cutoff (see :func:`last_visits`).
LONG_AGO = date(1, 1, 1)


def recent(today: date) -> Any:
    """The visits of the longest rule interval up to ``today``: the only ones whose day a rule
    compares. Older visits are all before every cutoff: whether there was one matters only to a
    person not yet under the rule yesterday, and :func:`visited` answers it (see ``sweeps``)."""
    since = today - timedelta(days=max(rule.interval_days for rule in visiting.RULES))
    return and_(V.c.deleted_at.is_(None), V.c.visited_on <= today, V.c.visited_on >= since)


def last_visits(key: Any, today: date, name: str) -> Any:
    """``(key, last)``: the last :func:`recent` visit of each ``key`` (a visit column)."""
    return (
        select(key.label("key"), func.max(V.c.visited_on).label("last"))
        .where(key.is_not(None), recent(today))
        .group_by(key)
        .subquery(name)
    )


def visited(matching: Any, today: date) -> Any:
    """Any visit on or before ``today`` among those ``matching`` (a condition correlated with
    the outer statement). A scalar subquery (the first such visit), not EXISTS: PostgreSQL
    then looks it up for each record that asks, by index, rather than hashing every visit."""
    first = select(V.c.id).where(V.c.deleted_at.is_(None), V.c.visited_on <= today, matching).limit(1)
    return first.scalar_subquery().is_not(None)


def _last_visits(key: Any, today: date, name: str) -> Any:
    return (
        select(key.label("key"), func.max(V.c.visited_on).label("last"))
        .where(key.is_not(None), V.c.deleted_at.is_(None), V.c.visited_on <= today)
        .group_by(key)
        .subquery(name)
    )


def visit_overdue(today: date) -> Select[Any]:
    # Each person's and each household's last visit, and the people assessed level 3–4, are
    # grouped once and joined, rather than looked up again for every member.
    person = _last_visits(V.c.id_number_hash, today, "last_person")
    household = _last_visits(V.c.household_id, today, "last_household")
    severe = latest_severe()
    facts = Facts(
        living_alone=M.c.living_alone,
        birth_date=M.c.birth_date,
        parents_absent=M.c.parents_absent,
        disability_grade=M.c.disability_grade,
        category=H.c.category,
        support_mode=H.c.support_mode,
        applied_on=H.c.applied_on,
        severe_hash=severe.c.id_number_hash,
        severe_on=severe.c.assessed_on,
        person_last=person.c.last,
        household_last=household.c.last,
    )
    rules = overdue_under(facts, today)
    detail = case(
        *[
            (condition, literal(f"visit overdue under {r.code} (every {r.interval_days} days)"))
            for r, condition in rules.items()
        ],
        else_=literal("visit overdue"),
    )
    return (
        select(M.c.id.label("key"), M.c.region_code, detail.label("detail"))
        .select_from(
            M.join(H, H.c.id == M.c.household_id)
            .outerjoin(person, person.c.key == M.c.id_number_hash)
            .outerjoin(household, household.c.key == M.c.household_id)
            .outerjoin(severe, severe.c.id_number_hash == M.c.id_number_hash)
        )
        .where(
            M.c.deleted_at.is_(None),
            H.c.deleted_at.is_(None),
            H.c.status.in_(ACTIVE_STATUSES),
            or_(*rules.values()),
        )
        # Computed whole (hash joins, then sorted): with OFFSET 0 PostgreSQL does not push the
        # report's ORDER BY key LIMIT into it, which walks every member by key when few fail.
        .offset(0)
    )


def referral_overdue(today: date) -> Select[Any]:
    return select(
        REF.c.id.label("key"),
        REF.c.region_code,
        case(
            (
                and_(REF.c.status == "dispatched", REF.c.accept_by < today),
                literal("not accepted within 3 working days"),
            ),
            else_=literal("not served by its due date"),
        ).label("detail"),
    ).where(
        REF.c.deleted_at.is_(None),
        REF.c.status.in_(ACTIVE_REFERRAL),
        or_(
            and_(REF.c.status == "dispatched", REF.c.accept_by < today),
            and_(REF.c.due_on.is_not(None), REF.c.due_on < today),
        ),
    )


def resource_over_capacity(today: date) -> Select[Any]:
    held = (
        select(func.count())
        .where(REF.c.resource_id == RES.c.id, REF.c.status.in_(ACTIVE_REFERRAL), REF.c.deleted_at.is_(None))
        .scalar_subquery()
    )
    return select(
        RES.c.id.label("key"), RES.c.region_code, literal("more active referrals than places").label("detail")
    ).where(RES.c.deleted_at.is_(None), RES.c.capacity.is_not(None), held > RES.c.capacity)
