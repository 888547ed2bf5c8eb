"""Bulk import of resources from CSV or XLSX, one resource a row.

Each row goes in (or not) on its own, inside a savepoint: a rejected row is reported with its
line and reason while the good ones are kept. Headers may be English (the API's field names)
or Chinese; need types and provider kinds may be codes or their Chinese labels; lists are
separated by ``|``, ``,``, ``;`` or ``、``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import UploadFile
from pydantic import ValidationError

from app.care import resources
from app.care.schemas import ImportRejection, ImportReport, ResourceCreate
from app.care.taxonomy import NEED_TYPES, PROVIDER_KINDS
from app.core.errors import DomainError
from app.core.tabular import Row, read_table
from app.ledger.unit_of_work import UnitOfWork
from app.security.principal import Principal

ALIASES = {
    "区划代码": "region_code",
    "服务区域": "region_code",
    "项目名称": "name",
    "名称": "name",
    "提供方": "provider",
    "服务提供方": "provider",
    "提供方类型": "provider_kind",
    "服务类型": "need_types",
    "需求类型": "need_types",
    "救助类别": "categories",
    "最低年龄": "min_age",
    "最高年龄": "max_age",
    "评估等级": "assessment_levels",
    "限残疾人": "disability",
    "服务容量": "capacity",
    "容量": "capacity",
    "联系方式": "contact",
    "慈善信托": "charity_trust_id",
    "说明": "description",
}
_SPLIT = re.compile(r"[|,;、，；\s]+")
_CODES = {label: code for code, label in (*NEED_TYPES.items(), *PROVIDER_KINDS.items())}
_CODES.update({part: code for code, label in NEED_TYPES.items() for part in label.split("/")})
_YES_NO = {"是": "true", "否": "false"}
_ELIGIBILITY = ("categories", "min_age", "max_age", "assessment_levels", "disability")


def _list(text: str) -> list[str]:
    return [_CODES.get(part, part) for part in _SPLIT.split(text) if part]


def payload(row: dict[str, str]) -> dict[str, Any]:
    """The create body a row stands for (validated afterwards)."""
    body: dict[str, Any] = {
        key: row[key]
        for key in (
            "region_code",
            "name",
            "provider",
            "contact",
            "charity_trust_id",
            "description",
            "capacity",
        )
        if row.get(key)
    }
    if row.get("provider_kind"):
        body["provider_kind"] = _CODES.get(row["provider_kind"], row["provider_kind"])
    body["need_types"] = _list(row.get("need_types", ""))
    eligibility: dict[str, Any] = {}
    for key in _ELIGIBILITY:
        value = row.get(key, "")
        if not value:
            continue
        if key in {"categories", "assessment_levels"}:
            eligibility[key] = _list(value)
        elif key == "disability":
            eligibility[key] = _YES_NO.get(value, value)
        else:
            eligibility[key] = value
    body["eligibility"] = eligibility
    return body


def _explain(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "row"
    return f"{where}: {str(err['msg']).removeprefix('Value error, ')}"


async def import_rows(uow: UnitOfWork, principal: Principal, rows: Iterable[Row]) -> ImportReport:
    report = ImportReport(rows=0, inserted=0, rejected=[])
    for line, row in rows:
        report.rows += 1
        try:
            data = ResourceCreate.model_validate(payload(row))
        except ValidationError as exc:
            report.rejected.append(ImportRejection(line=line, reason=_explain(exc)))
            continue
        try:
            async with uow.session.begin_nested():
                await resources.create(uow, principal, data)
        except DomainError as exc:
            report.rejected.append(ImportRejection(line=line, reason=exc.detail or exc.title))
            continue
        report.inserted += 1
    return report


async def import_upload(uow: UnitOfWork, principal: Principal, file: UploadFile) -> ImportReport:
    report = await import_rows(
        uow, principal, read_table(file.file, file.filename or "", file.content_type, ALIASES)
    )
    await uow.audit(
        "care_resource.import",
        resource_type="care_resource",
        details={"rows": report.rows, "inserted": report.inserted, "rejected": len(report.rejected)},
    )
    return report
