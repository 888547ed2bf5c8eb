"""The addresses cube for the analytics engine (a declaration; see :mod:`app.core.cube`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, case, func

from app.address.models import Address
from app.core.cube import Columns, Cube, CubeContext, Dimension, Measure, count_rows, live, value_of

STATUSES = (("active", "有效", "Active"), ("retired", "停用", "Retired"))


def _with_coordinates(c: Columns, _ctx: CubeContext) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((and_(c.lon.is_not(None), c.lat.is_not(None)), 1), else_=0)), 0)


def _addresses(_ctx: CubeContext) -> FromClause:
    return live(Address.__table__)  # type: ignore[attr-defined]


ADDRESSES = Cube(
    name="addresses",
    label_zh="标准地名地址",
    label_en="Standard addresses",
    resource="address",
    source=_addresses,
    measures=(
        Measure("count", "数量", "Addresses", "count", count_rows()),
        Measure(
            "with_coordinates_share",
            "有坐标占比",
            "Share with coordinates",
            "share",
            _with_coordinates,
            denominator=count_rows(),
        ),
    ),
    dimensions=(Dimension("status", "状态", "Status", value_of("status"), values=STATUSES),),
)
