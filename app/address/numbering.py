"""Codes for an import's new rows, set-based: level by level (place, house, building, unit,
room) in temporary tables ``address_lvl0`` … ``address_lvl4`` (:data:`TABLES`) over the staged segment, with
the rules of :mod:`app.address.allocation` (see :mod:`app.address.bulk`, which runs it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.address.codes import CODE_WIDTH, LEVELS, Level

TABLES = tuple(f"address_lvl{i}" for i in range(len(LEVELS)))
"""The level tables, place first; the last holds each new row's ``match_key`` and its code
(``prefix``)."""
LAST = TABLES[-1]


async def run(session: AsyncSession, sql: str, **params: Any) -> Any:
    return await session.execute(text(sql), params)


async def analyze_temp(session: AsyncSession, name: str) -> None:
    """Statistics of a temporary table, from a small sample (the import's setting)."""
    await run(session, f"ANALYZE {name}")


def _collated(names: list[str]) -> str:
    """An ORDER BY list in code-point order (the same on every server, whatever its collation)."""
    return ", ".join(f'{name} COLLATE "C"' for name in names)


def _range_sql(level_start: int, digit: str) -> str:
    return f"'{digit * (CODE_WIDTH - level_start)}'"


async def allocate(session: AsyncSession) -> None:
    """Give every new row's key a segment at each level (``address_lvl0`` … ``address_lvl4``)."""
    # The joins here match many text columns: hashing them beats sorting them, which the
    # planner, misjudging how many rows match, would otherwise choose.
    await run(session, "SET LOCAL enable_mergejoin = off")
    keys: list[str] = ["region_code"]
    for index, level in enumerate(LEVELS[:-1]):
        keys = await _allocate_level(session, index, level, keys)
    await _allocate_last(session, LEVELS[-1], keys)
    await run(session, "SET LOCAL enable_mergejoin TO DEFAULT")


async def _allocate_level(
    session: AsyncSession, index: int, level: Level, parent_keys: list[str]
) -> list[str]:
    """One level above the last (``address_lvl{index}``); returns the keys of its values."""
    keys = [*parent_keys, *level.fields]
    lvl = TABLES[index]
    parent = "d.region_code" if index == 0 else "p.prefix"
    join = "" if index == 0 else f"JOIN {TABLES[index - 1]} p USING ({', '.join(parent_keys)})"
    own = list(level.fields)
    low, high = _range_sql(level.start, "0"), _range_sql(level.start, "9")
    segment = f"substr(a.address_code, {level.start + 1}, {level.width})"
    absent = " AND ".join(f"d.{name} = ''" for name in own)
    # Each value with its parent's code and, where it has one already, its segment: the empty
    # one when the level is absent, else that of a live, active address with the same leading
    # components under the same parent (NULL: to be numbered).
    await run(
        session,
        f"""
        CREATE TEMP TABLE {lvl} ON COMMIT DROP AS
        SELECT v.*, v.parent || v.seg AS prefix
        FROM (
            SELECT row_number() OVER () AS lid, d.*, {parent} AS parent,
                   CASE WHEN {absent} THEN '{"0" * level.width}' ELSE (
                       SELECT {segment} FROM address a
                       WHERE {" AND ".join(f"a.{k} = d.{k}" for k in keys)}
                         AND a.deleted_at IS NULL AND a.status = 'active'
                         AND a.address_code BETWEEN {parent} || {low} AND {parent} || {high}
                       LIMIT 1) END AS seg
            FROM (SELECT DISTINCT {", ".join(keys)} FROM address_stage WHERE state = 'new') d {join}
        ) v
        """,  # noqa: S608
    )
    await run(
        session,
        f"""
        WITH need AS (
            SELECT lid, parent, row_number() OVER (PARTITION BY parent ORDER BY {_collated(own)}) AS rn
            FROM {lvl} WHERE seg IS NULL),
        top AS (
            SELECT p.parent, (SELECT max(a.address_code) FROM address a
                WHERE a.address_code BETWEEN p.parent || {low} AND p.parent || {high}) AS code
            FROM (SELECT DISTINCT parent FROM need) p)
        UPDATE {lvl} l SET seg = n.seg, prefix = l.parent || n.seg
        FROM (SELECT need.lid,
                     CASE WHEN n.num <= {level.capacity} THEN lpad(n.num::text, {level.width}, '0') END AS seg
              FROM need JOIN top USING (parent)
              CROSS JOIN LATERAL (
                  SELECT coalesce(substr(top.code, {level.start + 1}, {level.width})::int, 0) + need.rn AS num
              ) n) n
        WHERE l.lid = n.lid
        """,  # noqa: S608
    )
    await _reject_full(session, level, lvl, keys)
    await analyze_temp(session, lvl)
    return keys


async def _allocate_last(session: AsyncSession, level: Level, parent_keys: list[str]) -> None:
    """The last level in one statement: its key is the whole address, so every new row is a
    value of its own. No active address shares it (one would have the row's ``match_key``, and
    the row would be ``existing``), so nothing is reused: a row without the level takes the
    empty segment, the others are numbered after the highest code under their parent. The
    table holds each row's ``match_key`` and final ``prefix`` (the address code)."""
    own = [f"s.{name}" for name in level.fields]
    absent = " AND ".join(f"{name} = ''" for name in own)
    low, high = _range_sql(level.start, "0"), _range_sql(level.start, "9")
    await run(
        session,
        f"""
        CREATE TEMP TABLE {LAST} ON COMMIT DROP AS
        WITH p AS MATERIALIZED (
            SELECT l.*, coalesce(substr((SELECT max(a.address_code) FROM address a
                            WHERE a.address_code BETWEEN l.prefix || {low} AND l.prefix || {high}),
                        {level.start + 1}, {level.width})::int, 0) AS top
            FROM {TABLES[-2]} l WHERE l.prefix IS NOT NULL)
        SELECT d.match_key, d.parent, x.seg, d.parent || x.seg AS prefix
        FROM (
            SELECT s.match_key, p.prefix AS parent, p.top, {absent} AS absent,
                   row_number() OVER (PARTITION BY p.prefix COLLATE "C", {absent}
                                      ORDER BY {_collated(own)}) AS rn
            FROM address_stage s JOIN p USING ({", ".join(parent_keys)})
            WHERE s.state = 'new') d
        CROSS JOIN LATERAL (
            SELECT CASE WHEN d.absent THEN '{"0" * level.width}'
                        WHEN d.top + d.rn <= {level.capacity}
                        THEN lpad((d.top + d.rn)::text, {level.width}, '0') END AS seg) x
        """,  # noqa: S608
    )
    await _reject_full(session, level, LAST, ["match_key"])
    await analyze_temp(session, LAST)


async def _reject_full(session: AsyncSession, level: Level, lvl: str, keys: list[str]) -> None:
    """Rows under a parent with no free segment left at ``level`` are rejected (``full``)."""
    full = (await run(session, f"SELECT EXISTS (SELECT 1 FROM {lvl} WHERE seg IS NULL)")).scalar_one()  # noqa: S608
    if full:
        await run(
            session,
            f"""
            UPDATE address_stage s
            SET state = 'full', note = 'no free {level.name} code under ' || l.parent
            FROM {lvl} l
            WHERE l.seg IS NULL AND s.state = 'new' AND {" AND ".join(f"s.{k} = l.{k}" for k in keys)}
            """,  # noqa: S608
        )
