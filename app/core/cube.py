"""Cube declarations: what a domain offers the analytics engine (``app.analytics``), as data.

A cube names a source of rows (a table, or a select over one), the column holding each row's
region code, an optional date (the time axis behind ``month``, ``quarter`` and ``year``), and
its measures and dimensions as SQL expressions. Declarations live with their domains
(``app/<domain>/cubes.py``) and are registered explicitly by the app factory; the engine adds
the region levels (``region:county`` …) and the time dimensions to every cube, applies the
caller's scope, and builds the aggregate query.

Expressions are *builders*: functions of the source's columns and a :class:`CubeContext`
(today's local date, the dialect, values a cube's ``prepare`` hook looked up), so that a
declaration stays plain data while an expression may depend on the day it is asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, FromClause, Select, case, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnCollection

from app.core.calendar import born_by

Columns = ColumnCollection[str, Any]
MeasureType = Literal["count", "sum", "money", "mean", "share"]
AGE_BANDS: tuple[str, ...] = ("0-15", "16-59", "60-79", "80+")


@dataclass(frozen=True, slots=True)
class CubeContext:
    """What an expression may depend on besides the source's columns."""

    today: date
    dialect: str
    end: date | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


Builder = Callable[[Columns, CubeContext], ColumnElement[Any]]
Prepare = Callable[[AsyncSession, CubeContext, frozenset[str]], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Measure:
    """An aggregate. ``count`` and ``sum`` render as integers, ``money`` (a sum of fen) as a yuan
    string, ``mean`` and ``share`` as ``sql / denominator`` (two aggregates, divided exactly
    after the query; 2 and 4 decimal places)."""

    name: str
    label_zh: str
    label_en: str
    type: MeasureType
    sql: Builder
    denominator: Builder | None = None

    @property
    def additive(self) -> bool:
        """Whether an empty group is worth 0 (counts and sums) rather than undefined."""
        return self.type in {"count", "sum", "money"}


@dataclass(frozen=True, slots=True)
class Dimension:
    """A grouping. ``sql`` gives one value per row; ``json_array`` names a JSON-list column
    instead, and a row then counts once under each of its elements (its totals are computed
    without the dimension, so they count each row once)."""

    name: str
    label_zh: str
    label_en: str
    sql: Builder | None = None
    json_array: str | None = None
    values: tuple[tuple[str, str, str], ...] = ()
    """Known values as ``(value, label_zh, label_en)``, for building pickers."""


@dataclass(frozen=True, slots=True)
class TimeAxis:
    """The cube's date: a ``DATE`` column (``kind="date"``) or ``YYYY-MM`` text (``"month"``)."""

    column: str
    label_zh: str
    label_en: str
    kind: Literal["date", "month"] = "date"


@dataclass(frozen=True, slots=True)
class Cube:
    name: str
    label_zh: str
    label_en: str
    resource: str
    """The permission resource whose ``:read`` action lets a caller ask this cube."""
    source: Callable[[CubeContext], FromClause]
    measures: tuple[Measure, ...]
    dimensions: tuple[Dimension, ...] = ()
    time: TimeAxis | None = None
    region: str = "region_code"
    prepare: Prepare | None = None
    """Looks up what expressions need (e.g. standards in force) before the query is built;
    called with the names of the requested measures and dimensions."""

    def measure(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.name == name), None)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)


def live(table: Any) -> FromClause:
    """The table's rows that are not tombstones, as a source."""
    query: Select[Any] = table.select().where(table.c.deleted_at.is_(None))
    return query.subquery(table.name)


def count_rows() -> Builder:
    return lambda _c, _ctx: func.count()


def total(column: str) -> Builder:
    """The sum of a numeric column (0 over no rows)."""
    return lambda c, _ctx: func.coalesce(func.sum(c[column]), 0)


def count_of(column: str) -> Builder:
    """Rows where the column is not null."""
    return lambda c, _ctx: func.count(c[column])


def value_of(column: str) -> Builder:
    return lambda c, _ctx: c[column]


def age_band(birth_column: str) -> Builder:
    """``0-15``, ``16-59``, ``60-79`` or ``80+``: full years of age on the local date, from the
    birth date (which the ID number carries)."""

    def build(c: Columns, ctx: CubeContext) -> ColumnElement[Any]:
        born = c[birth_column]
        return case(
            (born.is_(None), None),
            (born > born_by(ctx.today, 16), AGE_BANDS[0]),
            (born > born_by(ctx.today, 60), AGE_BANDS[1]),
            (born > born_by(ctx.today, 80), AGE_BANDS[2]),
            else_=AGE_BANDS[3],
        )

    return build


AGE_BAND_VALUES = (
    ("0-15", "0-15岁", "0-15"),
    ("16-59", "16-59岁", "16-59"),
    ("60-79", "60-79岁", "60-79"),
    ("80+", "80岁及以上", "80 and over"),
)


def age_band_dimension(birth_column: str) -> Dimension:
    return Dimension("age_band", "年龄段", "Age band", age_band(birth_column), values=AGE_BAND_VALUES)
