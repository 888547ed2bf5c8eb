"""Bulk import of households: one row per member, grouped by ``household_key``.

Each household goes in (or not) on its own, inside a savepoint: a rejected household is
reported with its lines and reason while the good ones are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import UploadFile
from pydantic import ValidationError

from app.core.errors import DomainError
from app.core.tabular import Row, read_table
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import cases, service
from app.recipient.exceptions import DuplicateRegistration
from app.recipient.schemas import HouseholdCreate, ImportRejection, ImportReport
from app.security.pii import PiiCipher
from app.security.principal import Principal

COLUMNS = (
    "household_key",
    "region_code",
    "category",
    "monthly_income",
    "address_text",
    "name",
    "id_number",
    "relation",
    "phone",
    "disability_grade",
    "subsidies",
    "living_alone",
    "parents_absent",
    "support_mode",
)
ALIASES = {
    "户编号": "household_key",
    "区划代码": "region_code",
    "救助类别": "category",
    "家庭月收入": "monthly_income",
    "地址": "address_text",
    "姓名": "name",
    "身份证号": "id_number",
    "与户主关系": "relation",
    "电话": "phone",
    "残疾等级": "disability_grade",
    "补贴": "subsidies",
    "独居": "living_alone",
    "父母双方缺位": "parents_absent",
    "供养方式": "support_mode",
}
HOUSEHOLD_FIELDS = ("region_code", "category", "monthly_income", "address_text", "support_mode")
_YES_NO = {"是": "true", "否": "false"}
_SUPPORT_MODES = {"分散供养": "home", "集中供养": "institution"}


def _member(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": row.get("name", ""),
        "id_number": row.get("id_number", ""),
        "relation": row.get("relation", ""),
    }
    if row.get("phone"):
        out["phone"] = row["phone"]
    if row.get("disability_grade"):
        out["disability_grade"] = row["disability_grade"]
    if row.get("subsidies"):
        out["subsidies"] = [s.strip() for s in row["subsidies"].replace(";", ",").split(",") if s.strip()]
    for flag in ("living_alone", "parents_absent"):
        if row.get(flag):
            out[flag] = _YES_NO.get(row[flag], row[flag])
    return out


def _group(rows: Iterable[Row], report: ImportReport) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for line, row in rows:
        report.rows += 1
        key = row.get("household_key", "")
        if not key:
            report.rejected.append(
                ImportRejection(line=line, household_key="", reason="household_key is empty")
            )
            continue
        groups.setdefault(key, []).append((line, row))
    return groups


def _explain(exc: ValidationError, lines: list[int]) -> tuple[int, str]:
    err = exc.errors()[0]
    loc = list(err["loc"])
    line = lines[0]
    if len(loc) >= 2 and loc[0] == "members" and isinstance(loc[1], int) and loc[1] < len(lines):
        line = lines[loc[1]]
        loc = loc[2:]
    where = ".".join(str(p) for p in loc) or "row"
    return line, f"{where}: {str(err['msg']).removeprefix('Value error, ')}"


def _domain_line(exc: DomainError, lines: list[int]) -> int:
    for error in exc.errors or []:
        loc = error.get("loc", [])
        if len(loc) >= 3 and loc[1] == "members" and isinstance(loc[2], int) and loc[2] < len(lines):
            return lines[loc[2]]
    index = exc.extra.get("member_index")
    return lines[index] if isinstance(index, int) and index < len(lines) else lines[0]


async def import_rows(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    rows: Iterable[Row],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    report = ImportReport(rows=0, households_inserted=0, members_inserted=0, rejected=[])
    for key, group in _group(rows, report).items():
        lines = [line for line, _row in group]
        first = group[0][1]
        if progress:
            progress(len(group))
        mismatch = next(
            (f for f in HOUSEHOLD_FIELDS for _l, r in group[1:] if r.get(f, "") != first.get(f, "")), None
        )
        if mismatch:
            report.rejected.append(
                ImportRejection(
                    line=lines[0],
                    household_key=key,
                    reason=f"{mismatch} differs between the household's rows",
                )
            )
            continue
        payload: dict[str, Any] = {f: first.get(f) or None for f in HOUSEHOLD_FIELDS}
        if payload["support_mode"]:
            payload["support_mode"] = _SUPPORT_MODES.get(payload["support_mode"], payload["support_mode"])
        payload["members"] = [_member(r) for _l, r in group]
        try:
            data = HouseholdCreate.model_validate(payload)
        except ValidationError as exc:
            line, reason = _explain(exc, lines)
            report.rejected.append(ImportRejection(line=line, household_key=key, reason=reason))
            continue
        try:
            async with uow.session.begin_nested():
                await service.create(uow, principal, pii, data)
        except DomainError as exc:
            if isinstance(exc, DuplicateRegistration) and exc.case is not None:
                await cases.save(uow.session, exc.case, uow.actor)
            report.rejected.append(
                ImportRejection(
                    line=_domain_line(exc, lines), household_key=key, reason=exc.detail or exc.title
                )
            )
            continue
        report.households_inserted += 1
        report.members_inserted += len(data.members)
    report.rejected.sort(key=lambda r: r.line)
    return report


async def import_upload(
    uow: UnitOfWork, principal: Principal, pii: PiiCipher, file: UploadFile
) -> ImportReport:
    rows = read_table(file.file, file.filename or "", file.content_type, ALIASES)
    report = await import_rows(uow, principal, pii, rows)
    await uow.audit(
        "recipient.import",
        resource_type="recipient_household",
        details={
            "rows": report.rows,
            "households": report.households_inserted,
            "rejected": len(report.rejected),
        },
    )
    return report
