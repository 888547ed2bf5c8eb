"""The rows of an address import, as both import paths see them: each CSV row checked against
the caller's scope and the region table (:class:`RowChecker`), the running report
(:class:`Tally`), region paths read once per import (:class:`RegionNames`), and what a row
changes on an address already in the register (:func:`changes_for`).

:mod:`app.address.importer` (the one-by-one path, and the entry point) and
:mod:`app.address.bulk` (the set-based PostgreSQL path) both build on this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

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
from app.address.schemas import AddressImportRejection, AddressImportReport
from app.core.errors import DomainError
from app.core.validators import normalize_region_code
from app.ledger.unit_of_work import UnitOfWork
from app.security.principal import Principal

LISTED = 1000
COMPONENT_FIELDS = (*NAME_FIELDS, *NUMBER_FIELDS)


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

    def merge(self, other: Tally) -> None:
        """Add another tally's counts and rejections (the latter up to :data:`LISTED`)."""
        self.rows += other.rows
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        self.rejections.extend(other.rejections[: max(0, LISTED - len(self.rejections))])

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
    """Checks rows against the caller's scope and the region table.

    The region codes a file names are few: :meth:`learn` looks each up once (the only part
    that needs the database), and :meth:`check_known` checks a row whose region is learned
    without awaiting anything, so the PostgreSQL path can run it off the event loop while
    the previous batch is being copied.
    """

    def __init__(self, uow: UnitOfWork, principal: Principal) -> None:
        self.uow = uow
        self.principal = principal
        self._regions: dict[str, str | None] = {}

    def knows(self, raws: Iterable[str]) -> bool:
        return all(raw in self._regions for raw in raws)

    def good(self, raws: Iterable[str]) -> list[str]:
        """The normalised codes of the learned regions among ``raws`` that rows may use."""
        return sorted({normalize_region_code(raw) for raw in raws if self._regions.get(raw, "?") is None})

    async def learn(self, raws: Iterable[str]) -> None:
        for raw in raws:
            if raw in self._regions:
                continue
            try:
                code = normalize_region_code(raw)
                await service.check_region(self.uow.session, self.principal, code)
                self._regions[raw] = None
            except ValueError as exc:
                self._regions[raw] = f"region_code: {exc}"
            except DomainError as exc:
                self._regions[raw] = f"region_code: {exc.detail or exc.title}"

    async def check(self, line: int, raw: dict[str, str]) -> ImportRow:
        await self.learn((raw.get("region_code", ""),))
        return self.check_known(line, raw)

    def check_known(self, line: int, raw: dict[str, str]) -> ImportRow:
        """:meth:`check` for a row whose region code has been learned."""
        raw_region = raw.get("region_code", "")
        problem = self._regions[raw_region]
        if problem:
            raise RowError(problem)
        region = normalize_region_code(raw_region)
        try:
            parts = normalize_components({k: raw.get(k, "") for k in COMPONENT_FIELDS})
        except ComponentError as exc:
            raise RowError(f"{exc.field}: {exc.msg}") from None
        given = raw.get("aliases", "")
        aliases = [a for a in given.replace(";", "|").split("|") if a.strip()] if given else []
        if any(len(a) > 200 for a in aliases):
            raise RowError("aliases: an alias is longer than 200 characters")
        lon = _coordinate(raw.get("lon", ""), "lon", 73.0, 136.0)
        lat = _coordinate(raw.get("lat", ""), "lat", 3.0, 54.0)
        if (lon is None) != (lat is None):
            raise RowError("lon/lat: give both, or neither")
        return ImportRow(line, region, parts, normalize_aliases(aliases), lon, lat)


class RegionNames:
    """Region paths by code, read once per import (:meth:`learn` ahead, then :meth:`known`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._names: dict[str, list[str]] = {}

    async def learn(self, region_codes: Iterable[str]) -> None:
        missing = [code for code in region_codes if code not in self._names]
        if missing:
            found = await places.paths(self.session, missing)
            for code in missing:
                self._names[code] = [step.name for step in found[code]]

    async def of(self, region_code: str) -> list[str]:
        await self.learn((region_code,))
        return self._names[region_code]

    def known(self, region_code: str) -> list[str]:
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
