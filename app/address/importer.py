"""Bulk import of addresses from CSV, streamed row by row (memory stays flat).

Each row is checked and normalised in Python. A row whose address is already in the register
(same region and components) updates its aliases and coordinates when the file gives new ones;
a row that repeats an earlier row of the same file is rejected; the rest are new addresses.
Good rows go in, bad ones are reported with their line and reason.

On PostgreSQL the rows are copied into a staging table and written set-based
(:mod:`app.address.bulk`), with memory flat whatever the file's size; on SQLite each address
goes through the service, in batches inside savepoints so that one bad row does not cost its
batch (this path keeps a short key per row to spot repeats — it is meant for the registers a
SQLite node holds). Either way the import writes through the unit of work and leaves one
audit event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

from fastapi import UploadFile

from app.address import bulk, service
from app.address.names import touch as renew_place_names
from app.address.repository import AddressRepository
from app.address.rows import ImportRow, RegionNames, RowChecker, RowError, Tally, changes_for
from app.address.schemas import AddressImportReport
from app.core.errors import DomainError, UnsupportedMediaType
from app.core.tabular import Row, read_csv
from app.ledger.unit_of_work import UnitOfWork
from app.security.principal import Principal

ALIASES = {
    "区划代码": "region_code",
    "行政区划代码": "region_code",
    "社区": "community",
    "社区/村": "community",
    "村": "community",
    "组": "village_group",
    "村民小组": "village_group",
    "街路巷": "road",
    "道路": "road",
    "小区": "compound",
    "小区/院落": "compound",
    "门牌号": "house_number",
    "幢": "building",
    "楼幢": "building",
    "单元": "unit",
    "层": "floor",
    "楼层": "floor",
    "室": "room",
    "房号": "room",
    "别名": "aliases",
    "经度": "lon",
    "纬度": "lat",
}
BATCH = 200
ADDRESS_LEVELS = service.ADDRESS_LEVELS


async def import_rows(
    uow: UnitOfWork,
    principal: Principal,
    rows: Iterable[Row],
    progress: Callable[[int], None] | None = None,
) -> AddressImportReport:
    tally = Tally()
    checker = RowChecker(uow, principal)
    if uow.is_postgres:
        await bulk.import_rows(uow, checker, rows, tally, progress)
    else:
        await _import_one_by_one(uow, checker, rows, tally, progress)
    report = tally.report()
    renew_place_names()
    await uow.audit(
        "address.import",
        resource_type="address",
        details=report.model_dump(include={"rows", "inserted", "updated", "unchanged", "rejected"}),
    )
    return report


async def import_file(
    uow: UnitOfWork,
    principal: Principal,
    stream: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> AddressImportReport:
    return await import_rows(uow, principal, read_csv(stream, ALIASES), progress)


async def _import_one_by_one(
    uow: UnitOfWork,
    checker: RowChecker,
    rows: Iterable[Row],
    tally: Tally,
    progress: Callable[[int], None] | None,
) -> None:
    seen: dict[str, int] = {}
    names = RegionNames(uow.session)
    batch: list[ImportRow] = []
    for line, raw in rows:
        tally.rows += 1
        if progress:
            progress(1)
        try:
            row = await checker.check(line, raw)
        except RowError as exc:
            tally.reject(line, str(exc))
            continue
        first = seen.setdefault(row.key, line)
        if first != line:
            tally.reject(line, f"repeats line {first}")
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            await _apply_batch(uow, batch, tally, names)
            batch = []
    await _apply_batch(uow, batch, tally, names)


async def _apply_batch(uow: UnitOfWork, batch: list[ImportRow], tally: Tally, names: RegionNames) -> None:
    if not batch:
        return
    try:
        async with uow.session.begin_nested():
            outcomes = [await _apply(uow, row, names) for row in batch]
    except DomainError:
        outcomes = []
        for row in batch:
            try:
                async with uow.session.begin_nested():
                    outcomes.append(await _apply(uow, row, names))
            except DomainError as exc:
                tally.reject(row.line, exc.detail or exc.title)
    for outcome in outcomes:
        setattr(tally, outcome, getattr(tally, outcome) + 1)


async def _apply(uow: UnitOfWork, row: ImportRow, names: RegionNames) -> str:
    existing = await AddressRepository(uow.session).by_match_key(row.key, for_update=True)
    if existing is None:
        await service.add(
            uow,
            row.region_code,
            row.parts,
            row.aliases,
            row.lon,
            row.lat,
            audit_event=False,
            region_names=await names.of(row.region_code),
            known_new=True,
        )
        return "inserted"
    changes = changes_for(row, list(existing.aliases), existing.lon, existing.lat)
    if not changes:
        return "unchanged"
    await service.apply_changes(uow, existing, changes)
    return "updated"


async def import_upload(uow: UnitOfWork, principal: Principal, file: UploadFile) -> AddressImportReport:
    name = (file.filename or "").lower()
    ctype = (file.content_type or "").lower()
    if not (name.endswith(".csv") or ctype.startswith(("text/csv", "text/plain", "application/csv"))):
        raise UnsupportedMediaType("upload a .csv file (UTF-8)")
    return await import_file(uow, principal, file.file)
