"""Building a cube's aggregate statements.

The question's dimensions are computed in an inner select over the cube's source (with the
caller's scope, the region and the time window in its WHERE), labelled ``_d0``, ``_d1`` …;
the outer select groups by those labels and aggregates the measures, labelled ``_m0`` …
(``_m0_den`` for the denominator of a mean or share). PostgreSQL flattens the inner select, so
the plan is that of one hand-written ``GROUP BY``.

Totals: on PostgreSQL the same statement groups by ``GROUPING SETS ((dims…), ())`` and flags
the grand-total row with ``GROUPING()`` in ``_total``. On SQLite (no grouping sets), and
wherever a multi-valued dimension repeats a row under several values, totals come from a
second statement over the same rows without the dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Select,
    String,
    cast,
    func,
    literal,
    select,
    true,
    tuple_,
)

from app.analytics.ask import REGION_LEVELS, TIME_UNITS, Ask, region_level
from app.core.cube import Columns, CubeContext, TimeAxis
from app.security.scope import scope_pattern

ZEROS = "000000000000"
TOTAL_FLAG = "_total"


@dataclass(frozen=True, slots=True)
class Statements:
    rows: Select[Any]
    totals: Select[Any] | None
    """None when ``rows`` carries the grand total itself (PostgreSQL, or no dimensions)."""


def inside(column: ColumnElement[Any], region: str) -> ColumnElement[bool]:
    """``column LIKE '<prefix>%'`` with the pattern written into the statement: a region prefix
    is digits only, and PostgreSQL matches a constant pattern about twice as fast over a large
    scan as a bound one once it settles on a generic plan for the prepared statement."""
    pattern = scope_pattern(region)
    if not pattern[:-1].isdigit():
        raise ValueError(f"not a region prefix: {pattern!r}")
    condition: ColumnElement[bool] = column.like(literal(pattern, literal_execute=True))
    return condition


def region_at(column: ColumnElement[Any], level: str) -> ColumnElement[Any]:
    """The code of the enclosing region at ``level`` (a record filed above that level keeps its
    own region: a city's record under ``region:county`` shows the city)."""
    width = REGION_LEVELS[level]
    if width >= len(ZEROS):
        return column
    return func.substr(column, 1, width).concat(ZEROS[width:])


def _quarter(year: ColumnElement[Any], month: ColumnElement[Any]) -> ColumnElement[Any]:
    number = (cast(month, Integer) + 2) // 3
    return year.concat("Q").concat(cast(number, String))


def time_at(column: ColumnElement[Any], axis: TimeAxis, unit: str, dialect: str) -> ColumnElement[Any]:
    """``YYYY-MM``, ``YYYYQn`` or ``YYYY`` of the cube's date."""
    if axis.kind == "month":
        year, month = func.substr(column, 1, 4), func.substr(column, 6, 2)
        text = column
    elif dialect == "postgresql":
        year, month = func.to_char(column, "YYYY"), func.to_char(column, "MM")
        text = func.to_char(column, "YYYY-MM")
    else:
        year, month = func.strftime("%Y", column), func.strftime("%m", column)
        text = func.strftime("%Y-%m", column)
    if unit == "month":
        return text
    if unit == "year":
        return year
    return _quarter(year, month)


def window(column: ColumnElement[Any], axis: TimeAxis, start: date | None, end: date | None) -> list[Any]:
    """Conditions keeping the rows whose date lies in [start, end] (a month axis compares the
    months)."""
    out: list[Any] = []
    if axis.kind == "month":
        if start is not None:
            out.append(column >= f"{start:%Y-%m}")
        if end is not None:
            out.append(column <= f"{end:%Y-%m}")
        return out
    if start is not None:
        out.append(column >= start)
    if end is not None:
        out.append(column <= end)
    return out


def _dimension(name: str, c: Columns, ask: Ask, ctx: CubeContext) -> ColumnElement[Any]:
    cube = ask.cube
    level = region_level(name)
    if level is not None:
        return region_at(c[cube.region], level)
    if name in TIME_UNITS:
        assert cube.time is not None
        return time_at(c[cube.time.column], cube.time, name, ctx.dialect)
    declared = cube.dimension(name)
    assert declared is not None
    assert declared.sql is not None
    return declared.sql(c, ctx)


def _elements(column: ColumnElement[Any], dialect: str) -> FromClause:
    """The elements of a JSON list column as a table (one row each), joined to its row."""
    postgres = dialect == "postgresql"
    function = func.jsonb_array_elements_text(column) if postgres else func.json_each(column)
    return function.table_valued("value", joins_implicitly=True).alias("element")


def _inner(ask: Ask, ctx: CubeContext, scope: str, *, grouped: bool) -> FromClause:
    cube = ask.cube
    source = cube.source(ctx)
    c: Columns = source.c
    conditions: list[Any] = [inside(c[cube.region], scope)]
    if ask.region_code:
        conditions.append(inside(c[cube.region], ask.region_code))
    if cube.time is not None:
        conditions += window(c[cube.time.column], cube.time, ask.start, ask.end)
    joined: FromClause = source
    labelled: list[ColumnElement[Any]] = []
    for index, name in enumerate(ask.by if grouped else ()):
        declared = cube.dimension(name)
        if declared is not None and declared.json_array is not None:
            elements = _elements(c[declared.json_array], ctx.dialect)
            joined = joined.outerjoin(elements, true())
            labelled.append(elements.c.value.label(f"_d{index}"))
        else:
            labelled.append(_dimension(name, c, ask, ctx).label(f"_d{index}"))
    query = select(*c, *labelled).select_from(joined).where(*conditions)
    return query.subquery("cube")


def _measures(ask: Ask, inner: FromClause, ctx: CubeContext) -> list[ColumnElement[Any]]:
    out: list[ColumnElement[Any]] = []
    for index, measure in enumerate(ask.measures):
        out.append(measure.sql(inner.c, ctx).label(f"_m{index}"))
        if measure.denominator is not None:
            out.append(measure.denominator(inner.c, ctx).label(f"_m{index}_den"))
    return out


def multi_valued(ask: Ask) -> bool:
    return any((d := ask.cube.dimension(n)) is not None and d.json_array is not None for n in ask.by)


def statements(ask: Ask, ctx: CubeContext, scope: str) -> Statements:
    """The rows statement and, where it does not carry them, the totals statement."""
    if not ask.by:
        inner = _inner(ask, ctx, scope, grouped=False)
        return Statements(select(*_measures(ask, inner, ctx)).select_from(inner), None)
    inner = _inner(ask, ctx, scope, grouped=True)
    dims = [inner.c[f"_d{i}"] for i in range(len(ask.by))]
    measures = _measures(ask, inner, ctx)
    # Groups come back ordered by their dimensions, a missing value last on either engine.
    order = [d.asc().nulls_last() for d in dims]
    if ctx.dialect == "postgresql" and not multi_valued(ask):
        flag = func.grouping(dims[0]).label(TOTAL_FLAG)
        rows = (
            select(*dims, *measures, flag)
            .select_from(inner)
            .group_by(func.grouping_sets(tuple_(*dims), tuple_()))
            .order_by(flag, *order)  # the grand total last
        )
        return Statements(rows, None)
    plain = _inner(ask, ctx, scope, grouped=False)
    return Statements(
        select(*dims, *measures).select_from(inner).group_by(*dims).order_by(*order),
        select(*_measures(ask, plain, ctx)).select_from(plain),
    )
