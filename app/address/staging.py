"""Staging an address import on PostgreSQL, segment by segment.

The file's rows are read and checked in a worker thread, batch by batch, and COPYed into the
temporary table ``address_stage``. Every :data:`SEGMENT` rows the caller takes the staged
segment through the set-based steps (:mod:`app.address.bulk`) while the worker thread goes
on checking the next segment's rows: Python's work overlaps the database's. Python holds at
most a segment of checked rows ahead of the database, so memory stays flat whatever the
file's size.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import threading
import uuid
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.address.codes import new_plate_codes
from app.address.components import STORED_FIELDS, full_name, search_text
from app.address.rows import ImportRow, RegionNames, RowChecker, RowError, Tally
from app.core.db import driver_of
from app.core.ids import uuid7s
from app.core.tabular import Row

COPY_BATCH = 10_000
SEGMENT = 50_000
# While a worker thread checks rows, the event loop (which drives the COPYs and each segment's
# statements) waits for the GIL up to the interpreter's switch interval every time it wakes:
# 5 ms by default, which made the COPYs on the critical path take twice as long. The import
# shortens it while it runs.
SWITCH_INTERVAL = 0.0005
PARTS = STORED_FIELDS
STAGE_COLUMNS = (
    "line",
    "id",
    "region_code",
    *PARTS,
    "aliases",
    "lon",
    "lat",
    "full_name",
    "search_text",
    "match_key",
    "plate_code",
)
STAGE_DDL = f"""
CREATE TEMP TABLE address_stage (
    line integer NOT NULL, id uuid NOT NULL, region_code text NOT NULL,
    {", ".join(f"{p} text NOT NULL" for p in PARTS)},
    aliases text NOT NULL, lon double precision, lat double precision,
    full_name text NOT NULL, search_text text NOT NULL, match_key text NOT NULL, plate_code text NOT NULL,
    state text NOT NULL DEFAULT 'new', note text
) ON COMMIT DROP
"""

Batch = tuple[list[tuple[Any, ...]], Tally]
_END = None


class Stager:
    """Checks the file's rows in a worker thread and COPYs them into ``address_stage``; see
    :meth:`segments`."""

    def __init__(
        self,
        session: AsyncSession,
        checker: RowChecker,
        rows: Iterable[Row],
        progress: Callable[[int], None] | None,
    ) -> None:
        self.session = session
        self.checker = checker
        self.names = RegionNames(session)
        self.source = iter(rows)
        self.progress = progress
        self.batch = max(1, min(COPY_BATCH, SEGMENT))
        # Checked batches wait here for the database: at most a segment's worth.
        self.ready: asyncio.Queue[Batch | BaseException | None] = asyncio.Queue(
            maxsize=max(1, SEGMENT // self.batch)
        )
        # The connection is shared: the region look-ups of the checking side take it between
        # the COPYs and the segment's statements.
        self.connection = asyncio.Lock()

    async def segments(self, tally: Tally) -> AsyncGenerator[int, None]:
        """Yields once per staged segment (its row count) with the connection held: the
        caller runs the segment's statements, empties ``address_stage``, and resumes."""
        driver = await driver_of(self.session)
        producer = asyncio.ensure_future(self._produce())
        try:
            with short_switches():
                staged = 0
                while (item := await self.ready.get()) is not _END:
                    if isinstance(item, BaseException):
                        raise item
                    records, counted = item
                    tally.merge(counted)
                    if records:
                        async with self.connection:
                            await driver.copy_records_to_table(
                                "address_stage", records=records, columns=STAGE_COLUMNS
                            )
                        staged += len(records)
                    if staged >= SEGMENT:
                        async with self.connection:
                            yield staged
                        staged = 0
                if staged:
                    async with self.connection:
                        yield staged
        finally:
            if not producer.done():
                producer.cancel()
            with contextlib.suppress(BaseException):
                await producer

    async def _produce(self) -> None:
        try:
            while chunk := await asyncio.to_thread(_take, self.source, self.batch):
                regions = {raw.get("region_code", "") for _, raw in chunk}
                if not self.checker.knows(regions):
                    async with self.connection:
                        await self.checker.learn(sorted(regions))
                        await self.names.learn(self.checker.good(regions))
                batch = await asyncio.to_thread(_records, chunk, self.checker, self.names, self.progress)
                await self.ready.put(batch)
        except Exception as exc:  # reading or checking failed: the import ends with it
            await self.ready.put(exc)
            return
        await self.ready.put(_END)


class _Switching:
    """The imports under way in this process, and the switch interval they found."""

    lock = threading.Lock()
    users = 0
    saved = 0.0


@contextlib.contextmanager
def short_switches() -> Generator[None, None, None]:
    """:data:`SWITCH_INTERVAL` while at least one import of this process runs; the interval
    found before the first is restored when the last ends."""
    with _Switching.lock:
        if _Switching.users == 0:
            _Switching.saved = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _Switching.saved))
        _Switching.users += 1
    try:
        yield
    finally:
        with _Switching.lock:
            _Switching.users -= 1
            if _Switching.users == 0:
                sys.setswitchinterval(_Switching.saved)


def _take(source: Iterator[Row], count: int) -> list[Row]:
    return list(itertools.islice(source, count))


def _records(
    chunk: list[Row],
    checker: RowChecker,
    names: RegionNames,
    progress: Callable[[int], None] | None,
) -> Batch:
    """A batch's COPY records, and its counts (kept apart from the import's tally, which the
    event loop's side updates meanwhile)."""
    tally = Tally()
    checked: list[ImportRow] = []
    for line, raw in chunk:
        tally.rows += 1
        if progress:
            progress(1)
        try:
            checked.append(checker.check_known(line, raw))
        except RowError as exc:
            tally.reject(line, str(exc))
    plates = new_plate_codes(len(checked))
    ids = uuid7s(len(checked))
    records = [
        _record(row, names.known(row.region_code), plate, record_id)
        for row, plate, record_id in zip(checked, plates, ids, strict=True)
    ]
    return records, tally


def _record(
    row: ImportRow, region_names: list[str], plate_code: str, record_id: uuid.UUID
) -> tuple[Any, ...]:
    name = full_name(region_names, row.parts)
    parts = row.parts
    return (
        row.line,
        record_id,
        row.region_code,
        *[getattr(parts, p) for p in PARTS],
        json.dumps(row.aliases, ensure_ascii=False) if row.aliases else "[]",
        row.lon,
        row.lat,
        name,
        search_text(name, row.aliases),
        row.key,
        plate_code,
    )
