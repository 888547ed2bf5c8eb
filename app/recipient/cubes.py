"""Cubes over social assistance — households, members, payments — for the analytics engine
(declarations only; see :mod:`app.core.cube`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cube import (
    Columns,
    Cube,
    CubeContext,
    Dimension,
    Measure,
    TimeAxis,
    age_band_dimension,
    count_rows,
    live,
    total,
    value_of,
)
from app.core.money import to_fen
from app.recipient.eligibility import monthly
from app.recipient.models import Household, Member, Payment
from app.security.scope import region_prefix
from app.standard import service as standards

CATEGORIES = (
    ("dibao", "低保", "Dibao (minimum living guarantee)"),
    ("dibao_edge", "低边", "Dibao edge"),
    ("tekun", "特困", "Tekun (extreme poverty support)"),
    ("temporary", "临时救助", "Temporary assistance"),
)
STATUSES = (
    ("applied", "已申请", "Applied"),
    ("verified", "已核查", "Verified"),
    ("approved", "已审批", "Approved"),
    ("suspended", "已暂停", "Suspended"),
    ("exited", "已退出", "Exited"),
    ("rejected", "未通过", "Rejected"),
)
SEXES = (("male", "男", "Male"), ("female", "女", "Female"))
PAYMENT_KINDS = (
    ("dibao", "低保金", "Dibao benefit"),
    ("tekun_basic", "特困基本生活费", "Tekun basic living allowance"),
    ("tekun_care", "特困照料护理费", "Tekun care allowance"),
    ("disability_living", "困难残疾人生活补贴", "Disability living subsidy"),
    ("disability_nursing", "重度残疾人护理补贴", "Severe disability nursing subsidy"),
    ("emergency", "急难型临时救助", "Emergency temporary assistance"),
    ("expenditure", "支出型临时救助", "Expenditure temporary assistance"),
)
DISABILITY_GRADES = tuple((str(g), f"{'一二三四'[g - 1]}级", f"Grade {g}") for g in range(1, 5))

PAYMENT_KIND_COLUMN = "kind"
"""The column behind the payments cube's ``kind`` dimension: the payment kinds (dibao,
tekun_basic, tekun_care, disability_living, disability_nursing, emergency, expenditure)."""

_STANDARDS = "dibao_monthly_fen"


async def _prepare_households(
    session: AsyncSession, ctx: CubeContext, names: frozenset[str]
) -> Mapping[str, Any]:
    """The monthly dibao standard in fen (annual / 12, half-up to the fen) in force today, per
    region that sets one, most specific region first."""
    if "benefit" not in names:
        return {}
    annual = await standards.in_force_by_region(session, "dibao_annual", ctx.today)
    table = sorted(
        ((region_prefix(code), to_fen(monthly(value))) for code, value in annual.items()),
        key=lambda pair: (-len(pair[0]), pair[0]),
    )
    return {_STANDARDS: table}


def _benefit(c: Columns, ctx: CubeContext) -> ColumnElement[Any]:
    """The monthly dibao benefit of each approved dibao household, in fen, on the household
    total (DOMAIN.md): monthly standard × members − household monthly income, when positive.
    The standard is the one in force today for the most specific region containing the
    household. Other categories have no computed monthly benefit here."""
    table: list[tuple[str, int]] = list(ctx.params.get(_STANDARDS, ()))
    if not table:
        return func.coalesce(func.sum(literal(0)), 0)
    standard = case(*((c.region_code.startswith(prefix), fen) for prefix, fen in table), else_=None)
    due = standard * c.member_count - c.monthly_income_fen
    paid = and_(c.category == "dibao", c.status == "approved", due > 0)
    return func.coalesce(func.sum(case((paid, due), else_=0)), 0)


def _households(_ctx: CubeContext) -> FromClause:
    return live(Household.__table__)  # type: ignore[attr-defined]


def _members(_ctx: CubeContext) -> FromClause:
    m = Member.__table__  # type: ignore[attr-defined]
    h = Household.__table__  # type: ignore[attr-defined]
    query = (
        select(m.c.region_code, m.c.sex, m.c.birth_date, m.c.disability_grade, h.c.category, h.c.status)
        .select_from(m.join(h, h.c.id == m.c.household_id))
        .where(m.c.deleted_at.is_(None), h.c.deleted_at.is_(None))
    )
    return query.subquery("members")


def _payments(_ctx: CubeContext) -> FromClause:
    return live(Payment.__table__)  # type: ignore[attr-defined]


_CATEGORY = Dimension("category", "救助类别", "Assistance category", value_of("category"), values=CATEGORIES)
_STATUS = Dimension("status", "状态", "Status", value_of("status"), values=STATUSES)

HOUSEHOLDS = Cube(
    name="households",
    label_zh="救助家庭",
    label_en="Assistance households",
    resource="recipient",
    source=_households,
    time=TimeAxis("approved_on", "审批日期", "Approval date"),
    measures=(
        Measure("count", "户数", "Households", "count", count_rows()),
        Measure("members", "人数", "Members", "sum", total("member_count")),
        Measure("benefit", "月救助金", "Monthly benefit (yuan)", "money", _benefit),
    ),
    dimensions=(_CATEGORY, _STATUS),
    prepare=_prepare_households,
)

MEMBERS = Cube(
    name="members",
    label_zh="救助对象",
    label_en="Household members",
    resource="recipient",
    source=_members,
    measures=(Measure("count", "人数", "People", "count", count_rows()),),
    dimensions=(
        Dimension("sex", "性别", "Sex", value_of("sex"), values=SEXES),
        age_band_dimension("birth_date"),
        Dimension(
            "disability_grade",
            "残疾等级",
            "Disability grade",
            value_of("disability_grade"),
            values=DISABILITY_GRADES,
        ),
        _CATEGORY,
        _STATUS,
    ),
)

PAYMENTS = Cube(
    name="payments",
    label_zh="救助金发放",
    label_en="Payments",
    resource="recipient",
    source=_payments,
    time=TimeAxis("month", "发放月份", "Month paid for", kind="month"),
    measures=(
        Measure("count", "笔数", "Payments", "count", count_rows()),
        Measure("amount", "金额", "Amount (yuan)", "money", total("amount_fen")),
    ),
    dimensions=(
        _CATEGORY,
        Dimension("kind", "发放类型", "Payment kind", value_of(PAYMENT_KIND_COLUMN), values=PAYMENT_KINDS),
    ),
)
