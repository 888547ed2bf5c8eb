"""The failing-record query of every quality rule.

Each builder returns a SELECT of ``(key, region_code, detail)`` for the records that fail the
rule on ``today``; the service adds the scope and counts or pages it. Quality, like sync and
the indicators, reads across every domain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union,
)

from app.address.models import Address
from app.assessment.models import Assessment
from app.charity_trust.models import CharityTrust, TrustAnnualReport
from app.core.calendar import born_by, months_before
from app.core.record import EntitySpec
from app.indicator.models import Indicator, IndicatorReport
from app.recipient import tekun
from app.recipient.death_models import DeathRecord
from app.recipient.models import Household, Member, Payment
from app.recipient.workflow import ACTIVE_STATUSES
from app.region.models import Region

Check = Callable[[date], Select[Any]]


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


H, M, A = _t(Household), _t(Member), _t(Assessment)
P, D = _t(Payment), _t(DeathRecord)
ADDR = _t(Address)
T, TR = _t(CharityTrust), _t(TrustAnnualReport)
IND, IR, R = _t(Indicator), _t(IndicatorReport), _t(Region)


def _live(table: Table) -> Any:
    return table.c.deleted_at.is_(None)


# The conditions the rules' statements and the sweeps (app.quality.sweeps) share.


def without_address() -> ColumnElement[bool]:
    """An active household with no standard address (on the household)."""
    return and_(H.c.status.in_(ACTIVE_STATUSES), H.c.address_id.is_(None))


def review_overdue(today: date) -> ColumnElement[bool]:
    """An approved dibao household last reviewed more than 12 months ago, or never."""
    limit = months_before(today, 12)
    return and_(
        H.c.status == "approved",
        H.c.category == "dibao",
        or_(H.c.last_reviewed_on.is_(None), H.c.last_reviewed_on < limit),
    )


def without_coordinates() -> ColumnElement[bool]:
    """An active address with no longitude or no latitude."""
    return and_(ADDR.c.status == "active", or_(ADDR.c.lon.is_(None), ADDR.c.lat.is_(None)))


def current_assessment(today: date) -> ColumnElement[bool]:
    """An assessment (row of ``assessment``) still in force on ``today``."""
    return and_(_live(A), A.c.superseded_by.is_(None), A.c.next_due_on > today)


def self_care_current(today: date) -> ColumnElement[bool]:
    """A member's self-care record (民发〔2021〕43号 art. 12) still in force on ``today``: made
    within the last 12 months (:func:`app.recipient.tekun.self_care_current`)."""
    return and_(
        M.c.self_care_assessed_on.is_not(None),
        M.c.self_care_assessed_on > months_before(today, tekun.SELF_CARE_VALID_MONTHS),
    )


def care_tier_unknown(today: date, unassessed: ColumnElement[bool]) -> ColumnElement[bool]:
    """A member a payment run on ``today`` would give no care-allowance tier: aged 60+ and
    ``unassessed`` (no current GB/T 42195 assessment, as the caller finds it), or under 60 with
    no current self-care record."""
    elderly = M.c.birth_date <= born_by(today, tekun.SELF_CARE_AGE)
    return or_(and_(elderly, unassessed), and_(not_(elderly), not_(self_care_current(today))))


def elderly_of_active_household(today: date) -> ColumnElement[bool]:
    """A member aged 60 or more of a live, active household (member joined to household)."""
    return and_(_live(H), H.c.status.in_(ACTIVE_STATUSES), M.c.birth_date <= born_by(today, 60))


def household_without_address(today: date) -> Select[Any]:
    return select(
        H.c.id.label("key"), H.c.region_code, literal("no standard address linked").label("detail")
    ).where(_live(H), without_address())


def address_without_coordinates(today: date) -> Select[Any]:
    return select(
        ADDR.c.id.label("key"), ADDR.c.region_code, literal("no coordinates").label("detail")
    ).where(_live(ADDR), without_coordinates())


def dibao_review_overdue(today: date) -> Select[Any]:
    return select(
        H.c.id.label("key"),
        H.c.region_code,
        literal("approved dibao household not reviewed within 12 months").label("detail"),
    ).where(_live(H), review_overdue(today))


def elderly_assessment_overdue(today: date) -> Select[Any]:
    current = exists().where(A.c.id_number_hash == M.c.id_number_hash, current_assessment(today))
    return (
        select(
            M.c.id.label("key"),
            M.c.region_code,
            literal("member aged 60+ without a current capability assessment").label("detail"),
        )
        .join(H, H.c.id == M.c.household_id)
        .where(_live(M), elderly_of_active_household(today), not_(current))
    )


def tekun_assessment_missing(today: date) -> Select[Any]:
    """Tekun members with no care-allowance tier, so payment runs pay them no care allowance:
    aged 60+ without a current capability assessment (GB/T 42195-2022), under 60 without a
    current self-care record (民发〔2021〕43号 art. 12)."""
    current = exists().where(A.c.id_number_hash == M.c.id_number_hash, current_assessment(today))
    died = exists().where(D.c.id_number_hash == M.c.id_number_hash, _live(D))
    elderly = M.c.birth_date <= born_by(today, tekun.SELF_CARE_AGE)
    detail = case(
        (elderly, literal("tekun member aged 60+ without a current capability assessment (no care tier)")),
        else_=literal("tekun member under 60 without a current self-care assessment (no care tier)"),
    )
    return (
        select(M.c.id.label("key"), M.c.region_code, detail.label("detail"))
        .join(H, H.c.id == M.c.household_id)
        .where(
            _live(M),
            _live(H),
            H.c.status.in_(ACTIVE_STATUSES),
            H.c.category == "tekun",
            care_tier_unknown(today, not_(current)),
            not_(died),
        )
    )


def payment_after_death(today: date) -> Select[Any]:
    """Payments for a month after a recorded death: to the member who died, or to a household
    whose head, or only member, died before that month."""
    # Found from the deaths (few) towards the payments, by index (payment.member_id,
    # payment.household_id): each branch selects the payments themselves, so the payments are
    # not read whole to be matched with the ids found. The members who died are found once
    # for both branches.
    dead = (
        select(M.c.id, M.c.household_id, M.c.relation, M.c.deleted_at, D.c.died_month)
        .join(D, D.c.id_number_hash == M.c.id_number_hash)
        .where(_live(D))
        .cte("dead_members")
    )
    row = (
        P.c.id.label("key"),
        P.c.region_code,
        (
            literal("paid for ") + P.c.month + literal(" (") + P.c.kind + literal(") after a recorded death")
        ).label("detail"),
    )
    to_the_dead = (
        select(*row).join(dead, dead.c.id == P.c.member_id).where(_live(P), dead.c.died_month < P.c.month)
    )
    to_a_dead_household = (
        select(*row)
        .join(dead, dead.c.household_id == P.c.household_id)
        .join(H, H.c.id == P.c.household_id)
        .where(
            _live(P),
            P.c.member_id.is_(None),
            dead.c.deleted_at.is_(None),
            or_(dead.c.relation == "head", H.c.member_count == 1),
            dead.c.died_month < P.c.month,
        )
    )
    # UNION, not UNION ALL: a payment found both ways (or through two deaths) counts once.
    found = union(to_the_dead, to_a_dead_household).subquery("after_death")
    return select(found.c.key, found.c.region_code, found.c.detail)


def indicator_report_missing(today: date) -> Select[Any]:
    period = str(today.year - 1)
    reported = exists().where(
        IR.c.indicator_code == IND.c.code, IR.c.region_code == R.c.code, IR.c.period == period, _live(IR)
    )
    # Every reported indicator against every county in force: an intended cross join.
    return (
        select(
            (IND.c.code + literal("@") + R.c.code).label("key"),
            R.c.code.label("region_code"),
            (literal(f"no report for {period}: ") + IND.c.code).label("detail"),
        )
        .select_from(IND.join(R, true()))
        .where(
            _live(IND),
            _live(R),
            IND.c.computed_by.is_(None),
            IND.c.aggregation != "none",
            R.c.level == "county",
            or_(R.c.valid_to.is_(None), R.c.valid_to >= today),
            not_(reported),
        )
    )


def charity_trust_filed_late(today: date) -> Select[Any]:
    return select(
        T.c.id.label("key"), T.c.region_code, literal("filed more than 7 days after signing").label("detail")
    ).where(_live(T), T.c.late_filing.is_(True))


def report_year(today: date) -> int:
    """The latest year whose annual report is due (reports fall due on 30 April)."""
    return today.year - 1 if (today.month, today.day) > (4, 30) else today.year - 2


def charity_trust_annual_report_missing(today: date) -> Select[Any]:
    year = report_year(today)
    year_end = date(year, 12, 31)
    reported = exists().where(TR.c.trust_id == T.c.id, TR.c.year == year, _live(TR))
    return select(
        T.c.id.label("key"), T.c.region_code, literal(f"no annual report for {year}").label("detail")
    ).where(
        _live(T),
        T.c.status.in_(("filed", "terminated")),
        T.c.filed_on <= year_end,
        or_(T.c.terminated_on.is_(None), T.c.terminated_on > year_end),
        not_(reported),
    )


def region_invalid(spec: EntitySpec) -> Check:
    table = _t(spec.model)

    def check(today: date) -> Select[Any]:
        # The distinct codes of the table (few), walked on its region_code index one after the
        # other (each the least code above the last), rather than every record matched with the
        # regions: the records under the codes not in force are then found by the same index.
        first = select(func.min(table.c.region_code).label("code")).cte(f"{table.name}_codes", recursive=True)
        following = select(func.min(table.c.region_code)).where(table.c.region_code > first.c.code)
        codes = first.union_all(select(following.scalar_subquery()).where(first.c.code.is_not(None)))
        valid = exists().where(
            R.c.code == codes.c.code, _live(R), or_(R.c.valid_to.is_(None), R.c.valid_to >= today)
        )
        unknown = select(codes.c.code).where(codes.c.code.is_not(None), not_(valid))
        return select(
            table.c.id.label("key"),
            table.c.region_code,
            literal("region code unknown or retired").label("detail"),
        ).where(_live(table), table.c.region_code.in_(unknown))

    return check


def key_text(value: Any) -> str:
    return str(value)
