"""The PostgreSQL import path: checked rows are COPYed into a temporary staging table in
batches (:mod:`app.address.staging`); every segment of the file (:data:`~app.address.staging.SEGMENT`
rows) then goes through the set-based steps inside the database, in the import's transaction,
while the next segment's rows are being checked in Python (the SQL is assembled from this
module's constants only; every value from the file travels by COPY or as a bind parameter):

1. rows repeating an earlier row of the file are rejected (the keys of earlier segments are
   kept in a temporary table);
2. rows naming an address already in the register update its aliases and coordinates (one by
   one through the unit of work — few, as a rule);
3. codes are allocated level by level (place, house, building, unit, room) with the rules of
   :mod:`app.address.allocation`: reuse the segment of an active address with the same leading
   components under the same parent code (an address of an earlier segment among them), or
   number new values after the highest code issued under the parent (within a segment, new
   values in code-point order of their components, whatever the database's collation); the
   last level, whose key is the whole address, in one statement; each row's random plate code
   (:func:`app.address.codes.new_plate_codes`) is drawn in Python and travels with the row;
4. the new addresses and their change-log rows go in with one ``INSERT … SELECT``
   (:meth:`UnitOfWork.bulk_create`). The rare row whose code or plate collides takes the
   one-by-one path instead.

Python holds at most a segment of checked rows ahead of the database, so memory stays flat
whatever the file's size.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import cast, column, literal, select, table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.address import service
from app.address.components import Components
from app.address.models import Address
from app.address.numbering import LAST, TABLES, allocate, analyze_temp, run
from app.address.repository import AddressRepository
from app.address.rows import ImportRow, RowChecker, Tally, changes_for
from app.address.staging import PARTS, STAGE_COLUMNS, STAGE_DDL, Stager
from app.core.errors import DomainError
from app.core.tabular import Row
from app.ledger.unit_of_work import UnitOfWork

WORK_MEM = "256MB"
ANALYZE_AFTER = 10_000
TEMP_TABLES = ("address_stage", *TABLES)
# The file's keys seen in earlier segments: a hash index, whose inserts cost a third of a
# B-tree's on a million random keys.
KEYS_DDL = "CREATE TEMP TABLE address_keys (match_key text NOT NULL, line integer NOT NULL) ON COMMIT DROP"
KEYS_INDEX = "CREATE INDEX ON address_keys USING hash (match_key)"
# The temporary tables' statistics: a sample of 3,000 rows (not 30,000) decides their joins
# as well, at a tenth of the cost per segment.
TEMP_STATISTICS = 10
STAGE = table("address_stage", *[column(c) for c in (*STAGE_COLUMNS, "state")])
CODES = table(LAST, column("match_key"), column("prefix"))
INSERT_COLUMNS = (
    "id",
    "region_code",
    "address_code",
    "plate_code",
    *PARTS,
    "aliases",
    "full_name",
    "search_text",
    "match_key",
    "lon",
    "lat",
    "status",
)


async def import_rows(
    uow: UnitOfWork,
    checker: RowChecker,
    rows: Iterable[Row],
    tally: Tally,
    progress: Callable[[int], None] | None,
) -> None:
    session = uow.session
    # For this transaction only: sorts and hash joins over a segment stay in memory, and no
    # JIT — compiling these one-off statements costs more than running them.
    await run(session, f"SET LOCAL work_mem = '{WORK_MEM}'")
    await run(session, "SET LOCAL jit = off")
    # The temporary tables' statistics come from small samples (the register's do not).
    await run(session, f"SET LOCAL default_statistics_target = {TEMP_STATISTICS}")
    for name in (*TEMP_TABLES, "address_keys"):  # a second import in the same transaction starts afresh
        await run(session, f"DROP TABLE IF EXISTS {name}")
    await run(session, STAGE_DDL)
    await run(session, KEYS_DDL)
    await run(session, KEYS_INDEX)
    known = (
        await run(
            session, "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'address'::regclass"
        )
    ).scalar_one()
    state = _Progress(analyzed=int(known))
    stager = Stager(session, checker, rows, progress)
    async with contextlib.aclosing(stager.segments(tally)) as segments:
        async for _staged in segments:
            await _import_segment(uow, tally, state)
    if state.grown >= ANALYZE_AFTER:
        await _analyze_register(session)
    await run(session, "SET LOCAL default_statistics_target TO DEFAULT")


@dataclass
class _Progress:
    """What the segments of one import share: the regions locked, and how far the register
    has grown since its statistics were last taken."""

    analyzed: int
    grown: int = 0
    locked: set[str] = field(default_factory=set)
    # The locked regions that held a live, active address when locked: only there can a row
    # name an address already in the register.
    populated: set[str] = field(default_factory=set)


async def _lock_regions(session: AsyncSession, state: _Progress) -> None:
    """Lock the regions of the segment's new rows, each once per import, and note which of
    them hold addresses. Once a region is locked nothing else adds to it until the import
    commits, so in a region empty when locked every address that appears later is one of this
    import's, whose keys ``address_keys`` holds: its rows need no look-up in the register."""
    repo = AddressRepository(session)
    for (region,) in (
        await run(session, "SELECT DISTINCT region_code FROM address_stage WHERE state = 'new' ORDER BY 1")
    ).all():
        if region in state.locked:
            continue
        await repo.lock_region(region)
        state.locked.add(region)
        if await repo.holds_addresses(region):
            state.populated.add(region)


async def _import_segment(uow: UnitOfWork, tally: Tally, state: _Progress) -> None:
    """Steps 1–4 for the rows staged in ``address_stage``, which is left empty."""
    session = uow.session
    await analyze_temp(session, "address_stage")
    await _reject_repeats(session, tally)
    await _lock_regions(session, state)
    if state.populated:
        await _update_existing(uow, tally, sorted(state.populated))
    await allocate(session)
    await _reject_listed(session, tally, "full")
    try:
        async with session.begin_nested():
            inserted = await _insert_new(uow)
    except IntegrityError:
        # A code or plate already taken in the register: rare, so looked for only now.
        await _mark_taken(session)
        inserted = await _insert_new(uow)
    tally.inserted += inserted
    await _insert_slow(uow, tally)
    state.grown += inserted
    if state.grown >= max(ANALYZE_AFTER, state.analyzed):
        # Fresh statistics now, not when autovacuum gets round to it: with the old ones the
        # planner takes a table that grew by a million rows for a small one. Taken each time
        # the register has doubled, they stay within a factor of two during the import.
        await _analyze_register(session)
        state.analyzed += state.grown
        state.grown = 0
    for name in TEMP_TABLES[1:]:
        await run(session, f"DROP TABLE IF EXISTS {name}")
    await run(session, "TRUNCATE address_stage")


def _insert_value(name: str) -> Any:
    if name == "aliases":
        return cast(STAGE.c.aliases, JSONB).label(name)
    if name == "status":
        return literal("active").label(name)
    if name == "address_code":
        return CODES.c.prefix.label(name)
    return STAGE.c[name]


async def _reject_listed(session: AsyncSession, tally: Tally, state: str) -> None:
    """Report staged rows in ``state`` (their reason is in ``note``)."""
    count = (await run(session, "SELECT count(*) FROM address_stage WHERE state = :s", s=state)).scalar_one()
    listed = (
        await run(
            session,
            "SELECT line, note FROM address_stage WHERE state = :s ORDER BY line LIMIT :n",
            s=state,
            n=1000,
        )
    ).all()
    for line, note in listed:
        tally.reject(int(line), str(note))
    tally.rejected += int(count) - len(listed)


async def _reject_repeats(session: AsyncSession, tally: Tally) -> None:
    """Rows repeating a row of an earlier segment, then rows repeating an earlier row of this
    segment; the keys left are remembered for the segments to come."""
    await run(
        session,
        """
        UPDATE address_stage s SET state = 'repeat', note = 'repeats line ' || k.line
        FROM address_keys k WHERE k.match_key = s.match_key
        """,
    )
    # the repeated keys first (a hash aggregate), then only their later rows
    await run(
        session,
        """
        UPDATE address_stage s SET state = 'repeat', note = 'repeats line ' || f.first
        FROM (SELECT match_key, min(line) AS first FROM address_stage WHERE state = 'new'
              GROUP BY match_key HAVING count(*) > 1) f
        WHERE s.match_key = f.match_key AND s.line <> f.first AND s.state = 'new'
        """,
    )
    await run(
        session, "INSERT INTO address_keys SELECT match_key, line FROM address_stage WHERE state = 'new'"
    )
    await _reject_listed(session, tally, "repeat")


async def _update_existing(uow: UnitOfWork, tally: Tally, regions: list[str]) -> None:
    """Rows naming a live, active address of ``regions`` (the populated ones) update it."""
    session = uow.session
    await run(
        session,
        """
        UPDATE address_stage s SET state = 'existing', note = a.id::text
        FROM address a
        WHERE a.match_key = s.match_key AND a.status = 'active' AND a.deleted_at IS NULL
          AND s.state = 'new' AND s.region_code = ANY(:regions)
        """,
        regions=regions,
    )
    existing = (
        await run(session, "SELECT count(*) FROM address_stage WHERE state = 'existing'")
    ).scalar_one()
    after = 0
    updated = 0
    while True:
        chunk = (
            await run(
                session,
                """
                SELECT s.line, s.note, s.aliases, s.lon, s.lat FROM address_stage s
                JOIN address a ON a.id = s.note::uuid
                WHERE s.state = 'existing' AND s.line > :after
                  AND ((s.aliases <> '[]' AND s.aliases::jsonb <> a.aliases)
                       OR (s.lon IS NOT NULL
                           AND (s.lon IS DISTINCT FROM a.lon OR s.lat IS DISTINCT FROM a.lat)))
                ORDER BY s.line LIMIT 1000
                """,
                after=after,
            )
        ).all()
        if not chunk:
            break
        repo = AddressRepository(session)
        for line, address_id, aliases, lon, lat in chunk:
            address = await repo.get_any(address_id, for_update=True)
            row = ImportRow(line, address.region_code, Components(), json.loads(aliases), lon, lat)
            changes = changes_for(row, list(address.aliases), address.lon, address.lat)
            if changes:
                await service.apply_changes(uow, address, changes)
                updated += 1
        after = chunk[-1][0]
    tally.updated += updated
    tally.unchanged += int(existing) - updated


async def _analyze_register(session: AsyncSession) -> None:
    """Statistics of the register, from the server's usual sample."""
    await run(session, "SET LOCAL default_statistics_target TO DEFAULT")
    await run(session, "ANALYZE address")
    await run(session, f"SET LOCAL default_statistics_target = {TEMP_STATISTICS}")


async def _insert_new(uow: UnitOfWork) -> int:
    return await uow.bulk_create(
        Address,
        INSERT_COLUMNS,
        select(*[_insert_value(c) for c in INSERT_COLUMNS])
        .select_from(STAGE.join(CODES, CODES.c.match_key == STAGE.c.match_key))
        .where(STAGE.c.state == "new"),
        audit_event=False,  # the import writes one event for the whole file
    )


async def _mark_taken(session: AsyncSession) -> None:
    """Mark ``slow`` the new rows whose code or plate is taken: held by the register already
    (a code numbered after the highest under its parent is free; an empty last segment, or a
    plate drawn at random, may not be), or a plate another new row of the segment drew too."""
    await run(
        session,
        f"""
        UPDATE address_stage s SET state = 'slow'
        FROM {LAST} l
        WHERE l.match_key = s.match_key AND s.state = 'new'
          AND (EXISTS (SELECT 1 FROM address a WHERE a.address_code = l.prefix)
               OR EXISTS (SELECT 1 FROM address a WHERE a.plate_code = s.plate_code)
               OR s.plate_code IN (SELECT plate_code FROM address_stage WHERE state = 'new'
                                   GROUP BY 1 HAVING count(*) > 1))
        """,  # noqa: S608 - the level table's name, a constant
    )


async def _insert_slow(uow: UnitOfWork, tally: Tally) -> None:
    rows = (
        await run(
            uow.session,
            f"SELECT line, region_code, {', '.join(PARTS)}, aliases, lon, lat FROM address_stage "  # noqa: S608
            "WHERE state = 'slow' ORDER BY line",
        )
    ).all()
    for line, region, *rest in rows:
        values = dict(zip(PARTS, rest[: len(PARTS)], strict=True))
        aliases, lon, lat = rest[len(PARTS) :]
        try:
            async with uow.session.begin_nested():
                await service.add(
                    uow, region, Components(**values), json.loads(aliases), lon, lat, audit_event=False
                )
        except DomainError as exc:
            tally.reject(int(line), exc.detail or exc.title)
            continue
        tally.inserted += 1
