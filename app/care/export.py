"""Masked exports of the care lists as CSV or XLSX.

ID numbers stay masked and names are masked (张*), nothing is revealed. A text cell beginning
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading ``'`` so
no spreadsheet program runs it as a formula (OWASP's CSV-injection rule); numbers stay numbers,
and XLSX cells are written as values, never formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from openpyxl import Workbook

from app.care.schemas import DueVisit, NeedRead, ResourceRead
from app.core.tabular import neutralise, xlsx_cell
from app.security.pii import mask_name

Format = Literal["csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutral(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet program."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(str(value))


def need_rows(items: Sequence[NeedRead]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "id",
        "region_code",
        "person_name",
        "id_number",
        "type",
        "type_label",
        "description",
        "urgency",
        "source",
        "status",
        "status_label",
        "opened_on",
        "ended_on",
        "overdue",
        "overdue_reason",
    ]
    rows = [
        [
            n.id,
            n.region_code,
            mask_name(n.person.name),
            n.person.id_number,
            n.type,
            n.type_label,
            n.description,
            n.urgency,
            n.source,
            n.status,
            n.status_label,
            n.opened_on,
            n.ended_on,
            n.overdue,
            n.overdue_reason,
        ]
        for n in items
    ]
    return header, rows


def resource_rows(items: Sequence[ResourceRead]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "id",
        "region_code",
        "name",
        "provider",
        "provider_kind",
        "need_types",
        "capacity",
        "in_use",
        "free_capacity",
        "contact",
        "active",
        "description",
    ]
    rows = [
        [
            r.id,
            r.region_code,
            r.name,
            r.provider,
            r.provider_kind,
            "|".join(r.need_types),
            r.capacity,
            r.in_use,
            r.free_capacity,
            r.contact,
            r.active,
            r.description,
        ]
        for r in items
    ]
    return header, rows


def due_rows(items: Sequence[DueVisit]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "member_id",
        "region_code",
        "person_name",
        "id_number",
        "rule",
        "rule_title",
        "rules",
        "last_visited_on",
        "due_on",
        "overdue",
        "days_overdue",
    ]
    rows = [
        [
            d.member_id,
            d.region_code,
            mask_name(d.person.name),
            d.person.id_number,
            d.rule,
            d.rule_title,
            "|".join(d.rules),
            d.last_visited_on,
            d.due_on,
            d.overdue,
            d.days_overdue,
        ]
        for d in items
    ]
    return header, rows


def render(fmt: Format, sheet: str, header: list[str], rows: list[list[Any]]) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows([[neutral(v) for v in row] for row in rows])
        return ("\ufeff" + buffer.getvalue()).encode()

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    ws.append(header)
    for row in rows:
        ws.append([xlsx_cell(neutral(v)) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
