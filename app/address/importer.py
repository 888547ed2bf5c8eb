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
from dataclasses import dataclass, field
from typing import IO

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from app.address import places, service
from app.address.components import (
    NAME_FIELDS,
    NUMBER_FIELDS,
    ComponentError,
    Components,
    match_key,
    normalize_aliases,
    normalize_components,
)
from app.address.names import touch as renew_place_names
from app.address.repository import AddressRepository
from app.address.schemas import AddressImportRejection, AddressImportReport
from app.core.errors import DomainError, UnsupportedMediaType
from app.core.tabular import Row, read_csv
from app.core.validators import normalize_region_code
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
LISTED = 1000
BATCH = 200
ADDRESS_LEVELS = service.ADDRESS_LEVELS


class RowError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ImportRow:
    line: int
    region_code: str
    parts: Components
    aliases: list[str]
    lon: float | None
    lat: float | None

    @property
    def key(self) -> str:
        return match_key(self.region_code, self.parts)


@dataclass(slots=True)
class Tally:
    """The report as it grows: counts, and the first :data:`LISTED` rejections."""

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[AddressImportRejection] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < LISTED:
            self.rejections.append(AddressImportRejection(line=line, reason=reason))

    def report(self) -> AddressImportReport:
        listed = sorted(self.rejections, key=lambda r: r.line)
        return AddressImportReport(
            rows=self.rows,
            inserted=self.inserted,
            updated=self.updated,
            unchanged=self.unchanged,
            rejected=self.rejected,
            rejections=listed,
        )


def _coordinate(raw: str, name: str, low: float, high: float) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise RowError(f"{name}: not a number") from None
    if not low <= value <= high:
        raise RowError(f"{name}: must lie between {low} and {high}")
    return value


class RowChecker:
    """Checks rows against the caller's scope and the region table (regions memoised)."""

    def __init__(self, uow: UnitOfWork, principal: Principal) -> None:
        self.uow = uow
        self.principal = principal
        self._regions: dict[str, str | None] = {}

    async def _region(self, raw: str) -> str:
        if raw not in self._regions:
            try:
                code = normalize_region_code(raw)
                await service.check_region(self.uow.session, self.principal, code)
                self._regions[raw] = None
            except ValueError as exc:
                self._regions[raw] = f"region_code: {exc}"
            except DomainError as exc:
                self._regions[raw] = f"region_code: {exc.detail or exc.title}"
        problem = self._regions[raw]
        if problem:
            raise RowError(problem)
        return normalize_region_code(raw)

    async def check(self, line: int, raw: dict[str, str]) -> ImportRow:
        region = await self._region(raw.get("region_code", ""))
        try:
            parts = normalize_components({k: raw.get(k, "") for k in (*NAME_FIELDS, *NUMBER_FIELDS)})
        except ComponentError as exc:
            raise RowError(f"{exc.field}: {exc.msg}") from None
        aliases = [a for a in raw.get("aliases", "").replace(";", "|").split("|") if a.strip()]
        if any(len(a) > 200 for a in aliases):
            raise RowError("aliases: an alias is longer than 200 characters")
        lon = _coordinate(raw.get("lon", ""), "lon", 73.0, 136.0)
        lat = _coordinate(raw.get("lat", ""), "lat", 3.0, 54.0)
        if (lon is None) != (lat is None):
            raise RowError("lon/lat: give both, or neither")
        return ImportRow(line, region, parts, normalize_aliases(aliases), lon, lat)


class RegionNames:
    """Region paths by code, read once per import."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._names: dict[str, list[str]] = {}

    async def of(self, region_code: str) -> list[str]:
        if region_code not in self._names:
            path = (await places.paths(self.session, [region_code]))[region_code]
            self._names[region_code] = [step.name for step in path]
        return self._names[region_code]


def changes_for(
    row: ImportRow, aliases: list[str], lon: float | None, lat: float | None
) -> dict[str, object]:
    """What a row changes on the address it names: aliases and coordinates, when given."""
    out: dict[str, object] = {}
    if row.aliases and row.aliases != aliases:
        out["aliases"] = row.aliases
    if row.lon is not None and (row.lon, row.lat) != (lon, lat):
        out["lon"] = row.lon
        out["lat"] = row.lat
    return out


async def import_rows(
    uow: UnitOfWork,
    principal: Principal,
    rows: Iterable[Row],
    progress: Callable[[int], None] | None = None,
) -> AddressImportReport:
    tally = Tally()
    checker = RowChecker(uow, principal)
    if uow.is_postgres:
        from app.address import bulk  # noqa: PLC0415 (bulk and importer share RowChecker)

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
