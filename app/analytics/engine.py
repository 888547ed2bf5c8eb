"""Answering a cube question: permission, scope and region checks, the aggregate query, and
the rows shaped for the API (region dimensions carry the region's name beside its code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.ask import Ask, region_level
from app.analytics.statement import TOTAL_FLAG, statements
from app.analytics.values import Raw, raw, render
from app.core.cube import Cube, CubeContext
from app.core.db import dialect_of
from app.core.errors import Forbidden, NotFound
from app.region import service as regions
from app.security.permissions import allowed
from app.security.principal import Principal


@dataclass(frozen=True, slots=True)
class Group:
    key: tuple[Any, ...]
    values: tuple[Raw, ...]


@dataclass(frozen=True, slots=True)
class Grouped:
    """The raw answer: each group's dimension values and measure values, and the totals."""

    groups: list[Group]
    totals: tuple[Raw, ...]


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


def _values(ask: Ask, mapping: Any) -> tuple[Raw, ...]:
    return tuple(
        raw(m, mapping[f"_m{i}"], mapping.get(f"_m{i}_den") if m.denominator is not None else None)
        for i, m in enumerate(ask.measures)
    )


def _sort_key(key: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is None, value if value is not None else 0) for value in key)


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
    groups: list[Group] = []
    totals: tuple[Raw, ...] | None = None
    for row in (await session.execute(built.rows)).mappings():
        values = _values(ask, row)
        if width == 0 or row.get(TOTAL_FLAG) == 1:
            totals = values
            if width:
                continue
        groups.append(Group(tuple(row[f"_d{i}"] for i in range(width)), values))
    if built.totals is not None:
        totals = _values(ask, (await session.execute(built.totals)).mappings().one())
    if totals is None:  # no rows at all: what the measures are worth over nothing
        totals = tuple(raw(m, None) for m in ask.measures)
    groups.sort(key=lambda g: _sort_key(g.key))
    return Grouped(groups, totals)


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
    region_positions = [i for i, n in enumerate(ask.by) if region_level(n) is not None]
    codes = {g.key[i] for g in result.groups for i in region_positions if g.key[i] is not None}
    names = await regions.names(session, sorted(codes)) if codes else {}
    rows: list[dict[str, Any]] = []
    for group in result.groups:
        row: dict[str, Any] = {}
        for index, dimension in enumerate(ask.by):
            row[dimension] = group.key[index]
            if index in region_positions:
                row[f"{dimension}_name"] = names.get(group.key[index])
        for measure, value in zip(ask.measures, group.values, strict=True):
            row[measure.name] = render(measure, value)
        rows.append(row)
    return {
        "cube": ask.cube.name,
        "measures": [m.name for m in ask.measures],
        "by": list(ask.by),
        "region_code": ask.region_code,
        "region_name": name,
        "from": ask.start.isoformat() if ask.start else None,
        "to": ask.end.isoformat() if ask.end else None,
        "columns": columns(ask),
        "rows": rows,
        "totals": {m.name: render(m, v) for m, v in zip(ask.measures, result.totals, strict=True)},
    }
