"""Sweeps: one pass over a dataset's table that decides several of its rules at once.

A sweep selects records of the table as ``(key, region_code, f0, f1, …)``, one 0/1 column per
rule: the report counts and samples each column (:data:`READING`: the member rules), the score
tallies every live record and those with any 1 (:data:`COUNTING`). The table is read once for
the rules of the sweep instead of once for each.

A rule's column is its condition on the record joined, once for the sweep, to what the
conditions share: the region its code names, when in force (``…_region_invalid``); for
members, their household, whether their ID hash has a current assessment or a recorded death
(and, for tekun members under 60, their self-care record),
their latest severe assessment and their recent visits.

The rules' own statements (:mod:`app.quality.checks`, :mod:`app.quality.care`) still give the
findings; a test holds every column equal to its rule's statement on both engines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    FromClause,
    Select,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from app.care import visiting
from app.core.calendar import born_by
from app.quality import care, checks
from app.quality.care import V
from app.quality.checks import ADDR, A, D, H, M, R
from app.quality.rules import Rule
from app.recipient.workflow import ACTIVE_STATUSES


@dataclass(frozen=True, slots=True)
class Shape:
    """The rows a sweep reads (one per live record of the table), their key and region code,
    and the conditions, on those rows, of the rules it decides without their statement."""

    rows: FromClause
    key: Any
    region_code: Any
    conditions: dict[str, Any]
    where: list[Any] = field(default_factory=list)


def _region_in_force(table: Any, today: date) -> tuple[Any, Any]:
    """The region named by the code of ``table``, when in force, and the condition to join it
    by (codes are unique: at most one row). ``…_region_invalid``: no such region."""
    region = aliased(R, name="in_force")
    on = and_(
        region.c.code == table.c.region_code,
        region.c.deleted_at.is_(None),
        or_(region.c.valid_to.is_(None), region.c.valid_to >= today),
    )
    return region, on


def _plain(table: Table, today: date, conditions: dict[str, Any]) -> Shape:
    region, on = _region_in_force(table, today)
    return Shape(
        rows=table.outerjoin(region, on),
        key=table.c.id,
        region_code=table.c.region_code,
        conditions={**conditions, f"{table.name}_region_invalid": region.c.id.is_(None)},
        where=[table.c.deleted_at.is_(None)],
    )


def _households(today: date) -> Shape:
    return _plain(
        H,
        today,
        {
            "household_without_address": checks.without_address(),
            "dibao_review_overdue": checks.review_overdue(today),
        },
    )


def _addresses(today: date) -> Shape:
    return _plain(ADDR, today, {"address_without_coordinates": checks.without_coordinates()})


def _member_records(today: date) -> Shape:
    """Every live member with their household (if any), whether their ID hash has a current
    assessment or a recorded death, and their region in force: the member rules of the score."""
    region, on = _region_in_force(M, today)
    people = _people(today, visits=False)
    overdue = and_(
        H.c.id.is_not(None),
        checks.elderly_of_active_household(today),
        or_(people.c.current.is_(None), people.c.current == 0),
    )
    return Shape(
        rows=M.outerjoin(H, H.c.id == M.c.household_id)
        .outerjoin(people, people.c.hash == M.c.id_number_hash)
        .outerjoin(region, on),
        key=M.c.id,
        region_code=M.c.region_code,
        conditions={
            "elderly_assessment_overdue": overdue,
            "tekun_assessment_missing": and_(
                H.c.id.is_not(None),
                H.c.deleted_at.is_(None),
                H.c.status.in_(ACTIVE_STATUSES),
                H.c.category == "tekun",
                checks.care_tier_unknown(today, or_(people.c.current.is_(None), people.c.current == 0)),
                or_(people.c.died.is_(None), people.c.died == 0),
            ),
            "recipient_member_region_invalid": region.c.id.is_(None),
        },
        where=[M.c.deleted_at.is_(None)],
    )


def _people(today: date, *, visits: bool) -> Any:
    """Per ID hash, from everything the member rules ask about a person, in one join: whether
    they have a current assessment (``current`` 1), a recorded death (``died`` 1) and, with
    ``visits``, the day of their latest assessment when it is severe (``severe_on``, else
    null) and their last recent visit (``last``, :func:`care.recent`)."""
    day = Date()
    known = [
        select(
            A.c.id_number_hash.label("hash"),
            literal(1).label("current"),
            literal(0).label("died"),
            cast(null(), day).label("severe_on"),
            cast(null(), day).label("last"),
        ).where(checks.current_assessment(today)),
        select(D.c.id_number_hash, literal(0), literal(1), cast(null(), day), cast(null(), day)).where(
            D.c.deleted_at.is_(None)
        ),
    ]
    if visits:
        severe = care.latest_severe()
        known += [
            select(severe.c.id_number_hash, literal(0), literal(0), severe.c.assessed_on, cast(null(), day)),
            select(V.c.id_number_hash, literal(0), literal(0), cast(null(), day), V.c.visited_on).where(
                care.recent(today)
            ),
        ]
    rows = union_all(*known).subquery("person_rows")
    return (
        select(
            rows.c.hash,
            func.max(rows.c.current).label("current"),
            func.max(rows.c.died).label("died"),
            func.max(rows.c.severe_on).label("severe_on"),
            func.max(rows.c.last).label("last"),
        )
        .group_by(rows.c.hash)
        .subquery("people")
    )


def _members(today: date) -> Shape:
    """The members of live, active households — all three rules ask for one — that are 60 or
    over, of a tekun household or under a visit rule, with what the rules read, in two steps:
    each member's facts (their household, what is known of the person by ID hash in one join,
    their household's recent visits), then the rules' conditions on those facts. (Their region
    rule is left to its statement: it reads every member, by index.)"""
    people = _people(today, visits=True)
    facts = care.Facts(
        living_alone=M.c.living_alone,
        birth_date=M.c.birth_date,
        parents_absent=M.c.parents_absent,
        disability_grade=M.c.disability_grade,
        category=H.c.category,
        support_mode=H.c.support_mode,
        applied_on=H.c.applied_on,
        severe_hash=people.c.severe_on,  # null check only: null when no severe assessment
        severe_on=people.c.severe_on,
        person_last=None,
        household_last=None,
    )
    under = care.under_a_rule(facts, today)
    elderly = and_(
        M.c.birth_date <= born_by(today, 60), or_(people.c.current.is_(None), people.c.current == 0)
    )
    # The last visits of the longest interval, grouped (few); a visit before them stands for
    # "visited long ago" (before every cutoff), asked by index only of the people for whom being
    # visited long ago and never differ: not under the rule before today — registered today or
    # later, 80 today, assessed today. For everyone else both are overdue.
    household = care.last_visits(V.c.household_id, today, "recent_household")
    registered = H.c.applied_on < today
    yesterday = today - timedelta(days=1)
    newly = or_(
        not_(registered),
        and_(
            M.c.living_alone.is_(True),
            M.c.birth_date <= born_by(today, visiting.ELDERLY_AGE),
            M.c.birth_date > born_by(yesterday, visiting.ELDERLY_AGE),
        ),
        and_(people.c.severe_on.is_not(None), people.c.severe_on >= today),
    )
    # ``newly`` is never null, and comes first: the look-ups are made for these people only.
    long_ago = literal(care.LONG_AGO, Date)
    person_last = case(
        (people.c.last.is_not(None), people.c.last),
        (and_(newly, under, care.visited(V.c.id_number_hash == M.c.id_number_hash, today)), long_ago),
    )
    household_last = case(
        (household.c.last.is_not(None), household.c.last),
        (
            and_(
                not_(registered),
                under,
                M.c.disability_grade.in_(visiting.SEVERE_GRADES),
                care.visited(V.c.household_id == M.c.household_id, today),
            ),
            long_ago,
        ),
    )
    member = (
        select(
            M.c.id.label("key"),
            M.c.region_code,
            case((elderly, 1), else_=0).label("assessment_overdue"),
            case(
                (
                    and_(
                        H.c.category == "tekun",
                        checks.care_tier_unknown(
                            today, or_(people.c.current.is_(None), people.c.current == 0)
                        ),
                        or_(people.c.died.is_(None), people.c.died == 0),
                    ),
                    1,
                ),
                else_=0,
            ).label("tekun_missing"),
            case((under, 1), else_=0).label("under_a_rule"),
            *[getattr(facts, name).label(name) for name in _FACT_COLUMNS],
            person_last.label("person_last"),
            household_last.label("household_last"),
        )
        .select_from(
            M.join(H, H.c.id == M.c.household_id)
            .outerjoin(people, people.c.hash == M.c.id_number_hash)
            .outerjoin(household, household.c.key == M.c.household_id)
        )
        .where(
            M.c.deleted_at.is_(None),
            H.c.deleted_at.is_(None),
            H.c.status.in_(ACTIVE_STATUSES),
            or_(M.c.birth_date <= born_by(today, 60), H.c.category == "tekun", under),
        )
        # Computed once a member: without OFFSET 0 PostgreSQL would fold this into the outer
        # select and ask for the visits again at each use in the visit conditions.
        .offset(0)
        .subquery("member_facts")
    )
    last = care.Facts(
        **{name: member.c[name] for name in _FACT_COLUMNS},
        person_last=member.c.person_last,
        household_last=member.c.household_last,
    )
    return Shape(
        rows=member,
        key=member.c.key,
        region_code=member.c.region_code,
        conditions={
            "elderly_assessment_overdue": member.c.assessment_overdue == 1,
            "tekun_assessment_missing": member.c.tekun_missing == 1,
            "visit_overdue": and_(member.c.under_a_rule == 1, or_(*care.overdue_under(last, today).values())),
        },
    )


_FACT_COLUMNS = (
    "living_alone",
    "birth_date",
    "parents_absent",
    "disability_grade",
    "category",
    "support_mode",
    "applied_on",
    "severe_hash",
    "severe_on",
)

Shapes = dict[str, Callable[[date], Shape]]

READING: Shapes = {"recipient_member": _members}
"""The report's sweeps: the tables whose rules share a costly reading (members: their
households, assessments, deaths, visits). Elsewhere each rule's own statement is as cheap, its
count and sample found by a top-N sort with no table of failing records in between: those
rules read one table, or find few records by index."""

COUNTING: Shapes = {
    "recipient_household": _households,
    "recipient_member": _member_records,
    "address": _addresses,
}
"""The score's sweeps: every live record of the table, the dataset's record-based rules."""


def decides(table: Table, rules: Sequence[Rule], shapes: Shapes) -> bool:
    """A sweep of ``table`` among ``shapes`` decides every one of ``rules``."""
    build = shapes.get(table.name)
    if build is None:
        return False
    conditions = build(date(2000, 1, 1)).conditions
    return all(rule.code in conditions for rule in rules)


def sweep(table: Table, rules: Sequence[Rule], today: date, shapes: Shapes) -> Select[Any]:
    """The records of ``table`` its sweep among ``shapes`` reads, as ``(key, region_code, f0,
    f1, …)``: ``fi`` is 1 when the record fails ``rules[i]`` on ``today``, else 0."""
    found = shapes[table.name](today)
    flags = [case((found.conditions[rule.code], 1), else_=0).label(f"f{i}") for i, rule in enumerate(rules)]
    return (
        select(found.key.label("key"), found.region_code.label("region_code"), *flags)
        .select_from(found.rows)
        .where(*found.where)
    )
