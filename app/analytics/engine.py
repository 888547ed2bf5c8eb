"""Answering a cube question: permission, scope and region checks, the aggregate query, and
the rows shaped for the API (region dimensions carry the region's name beside its code)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.ask import Ask, region_level
from app.analytics.statement import TOTAL_FLAG, statements
from app.analytics.values import Raw, raw, render
from app.core.cube import Cube, CubeContext, Measure
from app.core.db import dialect_of
from app.core.errors import Forbidden, NotFound
from app.region import service as regions
from app.security.permissions import allowed
from app.security.principal import Principal


class Group(NamedTuple):
    key: tuple[Any, ...]
    values: tuple[Raw, ...]


@dataclass(frozen=True, slots=True)
class Grouped:
    """The raw answer: one result row per group (its dimension values first, then the measure
    columns ``read`` turns into values) and the totals."""

    rows: Sequence[Sequence[Any]]
    width: int
    read: Callable[[Sequence[Any]], tuple[Raw, ...]]
    totals: tuple[Raw, ...]

    def groups(self) -> list[Group]:
        return [Group(tuple(row[: self.width]), self.read(row)) for row in self.rows]


def check_readable(principal: Principal, cube: Cube) -> None:
    if not allowed(principal.roles, f"{cube.resource}:read"):
        raise Forbidden(f"roles {', '.join(principal.roles)} may not read the {cube.name} cube")


async def region_name(session: AsyncSession, principal: Principal, code: str | None) -> str | None:
    """The name of the region asked for; 404 when it is unknown or outside the caller's scope."""
    if code is None:
        return None
    found = (await regions.names(session, [code])).get(code) if principal.covers(code) else None
    if found is None:
        raise NotFound(f"no region {code}")
    return found


def _reader(ask: Ask, first: int) -> Callable[[Sequence[Any]], tuple[Raw, ...]]:
    """Reads the measures of a result row whose measure columns start at ``first`` (each
    measure's value, then its denominator where it has one)."""
    positions: list[tuple[Measure, int, int | None]] = []
    at = first
    for measure in ask.measures:
        has_denominator = measure.denominator is not None
        positions.append((measure, at, at + 1 if has_denominator else None))
        at += 2 if has_denominator else 1
    if len(positions) == 1 and positions[0][0].additive:  # the common case, kept cheap
        only = positions[0][1]
        return lambda row: (int(row[only] or 0),)
    if all(m.additive for m in ask.measures):
        indexes = [p[1] for p in positions]
        return lambda row: tuple([int(row[i] or 0) for i in indexes])
    return lambda row: tuple([raw(m, row[v], row[d] if d is not None else None) for m, v, d in positions])


async def grouped(session: AsyncSession, principal: Principal, ask: Ask, today: date) -> Grouped:
    """Run the question as aggregate SQL, inside the caller's scope."""
    cube = ask.cube
    check_readable(principal, cube)
    ctx = CubeContext(today=today, dialect=dialect_of(session), end=ask.end)
    if cube.prepare is not None:
        asked = frozenset(m.name for m in ask.measures) | frozenset(ask.by)
        params = await cube.prepare(session, ctx, asked)
        ctx = CubeContext(today=today, dialect=ctx.dialect, end=ask.end, params=params)
    built = statements(ask, ctx, principal.region)
    width = len(ask.by)
    values = _reader(ask, width)
    result = await session.execute(built.rows)
    keys = list(result.keys())
    flag = keys.index(TOTAL_FLAG) if TOTAL_FLAG in keys else None
    rows: list[Any] = list(result.all())
    totals: tuple[Raw, ...] | None = None
    if width == 0:
        totals = values(rows[0])
    elif flag is not None and rows and rows[-1][flag] == 1:  # the grand total is ordered last
        totals = values(rows.pop())
    if built.totals is not None:
        totals = _reader(ask, 0)((await session.execute(built.totals)).one())
    if totals is None:  # no rows at all: what the measures are worth over nothing
        totals = tuple(raw(m, None) for m in ask.measures)
    return Grouped(rows, width, values, totals)


def _renderer(measure: Measure) -> Callable[[Raw], Any]:
    return lambda value: render(measure, value)


def columns(ask: Ask) -> list[str]:
    """The keys of an answer's rows, in order: each dimension (a region's name after its
    code, as ``<dimension>_name``), then each measure."""
    out: list[str] = []
    for name in ask.by:
        out.append(name)
        if region_level(name) is not None:
            out.append(f"{name}_name")
    return out + [m.name for m in ask.measures]


async def answer(session: AsyncSession, principal: Principal, ask: Ask, today: date) -> dict[str, Any]:
    """``{cube, measures, by, region_code, region_name, from, to, columns, rows, totals}``."""
    name = await region_name(session, principal, ask.region_code)
    result = await grouped(session, principal, ask, today)
    width, read = result.width, result.read
    region_positions = [i for i, n in enumerate(ask.by) if region_level(n) is not None]
    codes = {row[i] for row in result.rows for i in region_positions if row[i] is not None}
    names = await regions.names(session, sorted(codes)) if codes else {}
    keys = columns(ask)
    renderers = [_renderer(m) for m in ask.measures]
    as_is = all(m.type in {"count", "sum"} for m in ask.measures)
    rows: list[dict[str, Any]] = []
    for row in result.rows:  # one pass: the groups can be many
        cells = list(row[:width])
        for shift, index in enumerate(region_positions):  # each region's name after its code
            cells.insert(index + shift + 1, names.get(row[index]))
        values = read(row)
        cells.extend(values if as_is else [shown(v) for shown, v in zip(renderers, values, strict=True)])
        rows.append(dict(zip(keys, cells, strict=True)))
    return {
        "cube": ask.cube.name,
        "measures": [m.name for m in ask.measures],
        "by": list(ask.by),
        "region_code": ask.region_code,
        "region_name": name,
        "from": ask.start.isoformat() if ask.start else None,
        "to": ask.end.isoformat() if ask.end else None,
        "columns": keys,
        "rows": rows,
        "totals": {m.name: render(m, v) for m, v in zip(ask.measures, result.totals, strict=True)},
    }
