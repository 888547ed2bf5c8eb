"""Sweeps: one pass over a dataset's table that decides several of its rules at once.

A sweep selects every live record of the table as ``(key, region_code, f0, f1, …)``, one 0/1
column per rule: the report counts and samples each column, the score tallies the records with
any 1. The table is read once for the rules of the sweep instead of once for each.

A rule's column is its condition on the record joined, once for the sweep, to what the
conditions share — the region its code names, when in force (every ``…_region_invalid``
rule); for members, their household, whether their ID hash has a current assessment or a
recorded death, their latest severe assessment and (for the people under a visit rule only)
their last visits — or, for a rule without such a condition, ``id IN (the rule's statement)``.

The rules' own statements (:mod:`app.quality.checks`, :mod:`app.quality.care`) still give the
findings; a test holds every column equal to its rule's statement on both engines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import FromClause, Select, Table, and_, case, or_, select
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


def _members(today: date) -> Shape:
    """The members of live, active households — all three rules ask for one — that are 60 or
    over or under a visit rule, with what the rules read, in two steps: each member's facts
    (joins, and the last visits looked up, by index, only for the people under a visit rule),
    then the rules' conditions on those facts. (Their region rule is left to its statement:
    it reads every member, by index.)"""
    current = (
        select(A.c.id_number_hash.label("hash")).where(checks.current_assessment(today)).distinct().subquery()
    )
    died = select(D.c.id_number_hash.label("hash")).where(D.c.deleted_at.is_(None)).distinct().subquery()
    severe = care.latest_severe()
    facts = care.Facts(
        living_alone=M.c.living_alone,
        birth_date=M.c.birth_date,
        parents_absent=M.c.parents_absent,
        disability_grade=M.c.disability_grade,
        category=H.c.category,
        support_mode=H.c.support_mode,
        applied_on=H.c.applied_on,
        severe_hash=severe.c.id_number_hash,
        severe_on=severe.c.assessed_on,
        person_last=None,
        household_last=None,
    )
    under = care.under_a_rule(facts, today)
    elderly = and_(M.c.birth_date <= born_by(today, 60), current.c.hash.is_(None))
    member = (
        select(
            M.c.id.label("key"),
            M.c.region_code,
            case((elderly, 1), else_=0).label("assessment_overdue"),
            case((and_(elderly, H.c.category == "tekun", died.c.hash.is_(None)), 1), else_=0).label(
                "tekun_missing"
            ),
            case((under, 1), else_=0).label("under_a_rule"),
            *[getattr(facts, name).label(name) for name in _FACT_COLUMNS],
            case((under, care.last_visit(V.c.id_number_hash == M.c.id_number_hash, today))).label(
                "person_last"
            ),
            case(
                (
                    and_(under, M.c.disability_grade.in_(visiting.SEVERE_GRADES)),
                    care.last_visit(V.c.household_id == M.c.household_id, today),
                )
            ).label("household_last"),
        )
        .select_from(
            M.join(H, H.c.id == M.c.household_id)
            .outerjoin(current, current.c.hash == M.c.id_number_hash)
            .outerjoin(died, died.c.hash == M.c.id_number_hash)
            .outerjoin(severe, severe.c.id_number_hash == M.c.id_number_hash)
        )
        .where(
            M.c.deleted_at.is_(None),
            H.c.deleted_at.is_(None),
            H.c.status.in_(ACTIVE_STATUSES),
            or_(M.c.birth_date <= born_by(today, 60), under),
        )
        # Computed once a member: without OFFSET 0 PostgreSQL would fold this into the outer
        # select and look the last visits up again for each use in the visit conditions.
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

SHAPES: dict[str, Callable[[date], Shape]] = {
    "recipient_household": _households,
    "recipient_member": _members,
    "address": _addresses,
}


def shape(table: Table, today: date) -> Shape:
    """The sweep's rows of ``table`` (a dataset's table: the dataset is named as its table)."""
    build = SHAPES.get(table.name)
    return build(today) if build else _plain(table, today, {})


def decides(table: Table, rule: Rule) -> bool:
    """The sweep of ``table`` decides ``rule`` in the report: the tables whose rules share their
    reading (:data:`SHAPES`), for the rules it has a condition for. Elsewhere each rule's own
    statement is as cheap: those rules find few records, by index."""
    build = SHAPES.get(table.name)
    return build is not None and rule.code in build(date(2000, 1, 1)).conditions


def sweep(table: Table, rules: Sequence[Rule], today: date) -> Select[Any]:
    """The records of ``table`` the sweep reads as ``(key, region_code, f0, f1, …)``: ``fi`` is
    1 when the record fails ``rules[i]`` on ``today``, else 0 (each a rule it decides)."""
    found = SHAPES[table.name](today)
    flags = [case((found.conditions[rule.code], 1), else_=0).label(f"f{i}") for i, rule in enumerate(rules)]
    return (
        select(found.key.label("key"), found.region_code.label("region_code"), *flags)
        .select_from(found.rows)
        .where(*found.where)
    )
