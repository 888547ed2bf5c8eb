"""The charity-trusts cube for the analytics engine (a declaration; see
:mod:`app.core.cube`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, case, func

from app.charity_trust.models import CharityTrust
from app.core.cube import Columns, Cube, CubeContext, Dimension, Measure, TimeAxis, count_rows, live, value_of

STATUSES = (
    ("draft", "未备案", "Draft"),
    ("filed", "已备案", "Filed"),
    ("terminated", "已终止", "Terminated"),
)
# 《慈善法》 Art. 3, in the API's codes.
PURPOSE_CATEGORIES = (
    ("poverty_relief", "扶贫、济困", "Poverty relief"),
    ("elderly_orphans_sick_disabled", "扶老、救孤、恤病、助残、优抚", "Elderly, orphans, sick, disabled"),
    ("disaster_relief", "救助自然灾害等突发事件", "Disaster relief"),
    ("education", "教育", "Education"),
    ("science", "科学", "Science"),
    ("culture", "文化", "Culture"),
    ("health", "卫生", "Health"),
    ("sports", "体育", "Sports"),
    ("environment", "环境保护", "Environment"),
    ("other", "其他公益活动", "Other public-benefit activities"),
)


def _in_force_amount(c: Columns, _ctx: CubeContext) -> ColumnElement[Any]:
    """The current property of trusts in force (filed and not terminated), in fen."""
    return func.coalesce(func.sum(case((c.status == "filed", c.current_amount_fen), else_=0)), 0)


def _trusts(_ctx: CubeContext) -> FromClause:
    return live(CharityTrust.__table__)  # type: ignore[attr-defined]


CHARITY_TRUSTS = Cube(
    name="charity_trusts",
    label_zh="慈善信托",
    label_en="Charity trusts",
    resource="charity_trust",
    source=_trusts,
    time=TimeAxis("filed_on", "备案日期", "Filing date"),
    measures=(
        Measure("count", "数量", "Trusts", "count", count_rows()),
        Measure("amount", "存续规模", "Property in force (yuan)", "money", _in_force_amount),
    ),
    dimensions=(
        Dimension("status", "状态", "Status", value_of("status"), values=STATUSES),
        Dimension(
            "purpose_category",
            "慈善目的类别",
            "Purpose category",
            json_array="purpose_categories",
            values=PURPOSE_CATEGORIES,
        ),
    ),
)
