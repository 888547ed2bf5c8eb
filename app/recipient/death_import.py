"""Bulk import of death notices (CSV or XLSX): ID number, date of death, source.

Each row goes in (or not) on its own, inside a savepoint: a rejected row is reported with its
line and reason while the good rows are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from fastapi import UploadFile
from pydantic import ValidationError

from app.core.errors import DomainError
from app.core.tabular import Row, read_table
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import deaths
from app.recipient.schemas import DeathCreate, DeathImportRejection, DeathImportReport
from app.security.pii import PiiCipher
from app.security.principal import Principal

COLUMNS = ("id_number", "died_on", "source", "note")
ALIASES = {
    "身份证号": "id_number",
    "公民身份号码": "id_number",
    "身份证号码": "id_number",
    "id number": "id_number",
    "死亡日期": "died_on",
    "date_of_death": "died_on",
    "date of death": "died_on",
    "来源": "source",
    "信息来源": "source",
    "备注": "note",
}
_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def normalise_day(text: str) -> str:
    """``2026-11-03``, ``2026/11/3``, ``2026年11月3日``, ``20261103`` or a spreadsheet date
    (``2026-11-03 00:00:00``) as ``YYYY-MM-DD``; anything else unchanged (the schema says why)."""
    value = text.strip()
    match = _DAY.match(value) or _COMPACT.match(value)
    if not match:
        return value
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _reason(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "row"
    return f"{where}: {str(err['msg']).removeprefix('Value error, ')}"


async def import_rows(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    rows: Iterable[Row],
    progress: Callable[[int], None] | None = None,
) -> DeathImportReport:
    report = DeathImportReport(rows=0, inserted=0, rejected=[])
    for line, row in rows:
        report.rows += 1
        if progress:
            progress(1)
        payload = {key: row.get(key, "") for key in COLUMNS}
        payload["died_on"] = normalise_day(payload["died_on"])
        try:
            data = DeathCreate.model_validate(payload)
        except ValidationError as exc:
            report.rejected.append(DeathImportRejection(line=line, reason=_reason(exc)))
            continue
        try:
            async with uow.session.begin_nested():
                await deaths.record(uow, principal, pii, data)
        except DomainError as exc:
            report.rejected.append(DeathImportRejection(line=line, reason=exc.detail or exc.title))
            continue
        report.inserted += 1
    return report


async def import_upload(
    uow: UnitOfWork, principal: Principal, pii: PiiCipher, file: UploadFile
) -> DeathImportReport:
    rows = read_table(file.file, file.filename or "", file.content_type, ALIASES)
    report = await import_rows(uow, principal, pii, canonical(rows))
    await uow.audit(
        "death_record.import",
        resource_type="death_record",
        details={"rows": report.rows, "inserted": report.inserted, "rejected": len(report.rejected)},
    )
    return report


def canonical(rows: Iterable[Row]) -> Iterable[Row]:
    """Rows with English headers in any case (``Date of Death``) mapped to the columns."""
    for line, row in rows:
        yield line, {ALIASES.get(key, key): value for key, value in row.items()}
