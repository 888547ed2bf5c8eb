"""A cube answer as a file: CSV (UTF-8 with a byte-order mark, so spreadsheet programs show
the Chinese) or XLSX. The table is the answer's rows, one line per group, under a header of
the row keys; the XLSX adds a sheet with the totals and what was asked. Text cells that a
spreadsheet would read as a formula (leading ``=``, ``+``, ``-``, ``@``, tab or CR) get a
leading apostrophe."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from app.core.tabular import csv_cell, xlsx_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def filename(answer: dict[str, Any], extension: str) -> str:
    region = (answer.get("region_code") or "scope")[:12]
    by = "-".join(n.replace(":", "_") for n in answer["by"]) or "total"
    return f"{answer['cube']}-{by}-{region}.{extension}"


def disposition(answer: dict[str, Any], extension: str) -> str:
    return f'attachment; filename="{filename(answer, extension)}"'


def to_csv(answer: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns: list[str] = answer["columns"]
    writer.writerow(columns)
    for row in answer["rows"]:
        writer.writerow(["" if row[c] is None else csv_cell(row[c]) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any, money: bool) -> Any:
    if value is None:
        return None
    if money:
        return Decimal(value)
    return xlsx_cell(value)


def to_xlsx(answer: dict[str, Any], money_measures: set[str]) -> bytes:

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = answer["cube"][:31]
    columns: list[str] = answer["columns"]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in answer["rows"]:
        sheet.append([_cell(row[c], c in money_measures) for c in columns])
    for index, column in enumerate(columns, start=1):
        if column in money_measures:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    totals = book.create_sheet("合计 totals")
    for label, value in (
        ("数据集 cube", answer["cube"]),
        ("维度 by", ",".join(answer["by"])),
        ("区域 region", answer.get("region_code") or ""),
        ("起 from", answer.get("from") or ""),
        ("止 to", answer.get("to") or ""),
    ):
        totals.append([label, xlsx_cell(value)])
    for name, value in answer["totals"].items():
        totals.append([name, _cell(value, name in money_measures)])
    totals.column_dimensions["A"].width = 24
    totals.column_dimensions["B"].width = 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
