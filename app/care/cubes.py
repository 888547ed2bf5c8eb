"""Cubes over the care loop — needs, referrals, visits — for the analytics engine
(declarations only; see :mod:`app.core.cube`)."""

from __future__ import annotations

from sqlalchemy import FromClause

from app.care.models import Need, Referral, Visit
from app.care.taxonomy import NEED_STATUSES, NEED_TYPES, REFERRAL_STATUSES, SOURCES, URGENCIES
from app.core.cube import Cube, CubeContext, Dimension, Measure, TimeAxis, count_rows, live, value_of

ENGLISH = {
    "medical": "Medical",
    "education": "Education",
    "care": "Care",
    "home_adaptation": "Home adaptation",
    "meals": "Meals",
    "employment": "Employment",
    "psychological": "Psychological support",
    "legal": "Legal aid",
    "living": "Basic living",
    "other": "Other",
    "routine": "Routine",
    "urgent": "Urgent",
    "self": "Self",
    "visit": "Visit",
    "discovery": "Discovery",
    "referral_in": "Referred in",
    "open": "Open",
    "referred": "Referred",
    "served": "Served",
    "closed": "Closed",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "dispatched": "Dispatched",
    "accepted": "Accepted",
}


def _values(labels: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    return tuple((code, zh, ENGLISH.get(code, code)) for code, zh in labels.items())


def _needs(_ctx: CubeContext) -> FromClause:
    return live(Need.__table__)  # type: ignore[attr-defined]


def _referrals(_ctx: CubeContext) -> FromClause:
    return live(Referral.__table__)  # type: ignore[attr-defined]


def _visits(_ctx: CubeContext) -> FromClause:
    return live(Visit.__table__)  # type: ignore[attr-defined]


NEEDS = Cube(
    name="needs",
    label_zh="需求库",
    label_en="Needs",
    resource="care",
    source=_needs,
    time=TimeAxis("opened_on", "登记日期", "Recorded on"),
    measures=(Measure("count", "需求数", "Needs", "count", count_rows()),),
    dimensions=(
        Dimension("kind", "需求类型", "Need type", value_of("type"), values=_values(NEED_TYPES)),
        Dimension("status", "状态", "Status", value_of("status"), values=_values(NEED_STATUSES)),
        Dimension("urgency", "紧急程度", "Urgency", value_of("urgency"), values=_values(URGENCIES)),
        Dimension("source", "来源", "Source", value_of("source"), values=_values(SOURCES)),
    ),
)

REFERRALS = Cube(
    name="referrals",
    label_zh="派单",
    label_en="Referrals",
    resource="care",
    source=_referrals,
    time=TimeAxis("dispatched_on", "派单日期", "Dispatched on"),
    measures=(Measure("count", "派单数", "Referrals", "count", count_rows()),),
    dimensions=(
        Dimension("status", "状态", "Status", value_of("status"), values=_values(REFERRAL_STATUSES)),
    ),
)

VISITS = Cube(
    name="visits",
    label_zh="探访",
    label_en="Visits",
    resource="care",
    source=_visits,
    time=TimeAxis("visited_on", "探访日期", "Visited on"),
    measures=(Measure("count", "探访次数", "Visits", "count", count_rows()),),
)
