"""Staging an address import on PostgreSQL: the file's rows are read and checked in a worker
thread, batch by batch, and COPYed into the temporary table ``address_stage`` while the next
batch is being checked, so Python never holds more than two batches."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.address.codes import new_plate_codes
from app.address.components import STORED_FIELDS, full_name, search_text
from app.address.rows import ImportRow, RegionNames, RowChecker, RowError, Tally
from app.core.db import driver_of
from app.core.ids import uuid7s
from app.core.tabular import Row

COPY_BATCH = 10_000
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


async def stage(
    session: AsyncSession,
    checker: RowChecker,
    rows: Iterable[Row],
    tally: Tally,
    progress: Callable[[int], None] | None,
) -> None:
    """COPY the checked rows into ``address_stage``, one batch in flight while the next is
    read and checked in a worker thread: Python's work overlaps the database's."""
    driver = await driver_of(session)
    names = RegionNames(session)
    source = iter(rows)
    copying: asyncio.Future[Any] | None = None
    try:
        while chunk := await asyncio.to_thread(_take, source, COPY_BATCH):
            regions = {raw.get("region_code", "") for _, raw in chunk}
            if not checker.knows(regions):
                # the look-ups share the connection with the COPY: let it finish first
                if copying is not None:
                    await copying
                    copying = None
                await checker.learn(sorted(regions))
                await names.learn(checker.good(regions))
            records = await asyncio.to_thread(_records, chunk, checker, names, tally, progress)
            if copying is not None:
                await copying
            copying = asyncio.ensure_future(
                driver.copy_records_to_table("address_stage", records=records, columns=STAGE_COLUMNS)
            )
        if copying is not None:
            await copying
            copying = None
    finally:
        if copying is not None:  # reading the file failed: the COPY under way ends first
            with contextlib.suppress(Exception):
                await copying


def _take(source: Iterator[Row], count: int) -> list[Row]:
    return list(itertools.islice(source, count))


def _records(
    chunk: list[Row],
    checker: RowChecker,
    names: RegionNames,
    tally: Tally,
    progress: Callable[[int], None] | None,
) -> list[tuple[Any, ...]]:
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
    return [
        _record(row, names.known(row.region_code), plate, record_id)
        for row, plate, record_id in zip(checked, plates, ids, strict=True)
    ]


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
