"""The dashboard as a spreadsheet: XLSX, or CSV with a UTF-8 BOM so Excel shows the Chinese."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from app.core.tabular import csv_cell, xlsx_cell, xlsx_row
from app.indicator.schemas import Dashboard

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

HEADER = ("指标编码", "指标名称", "领域", "单位", "汇总方式", "目标值", "实际值", "完成率", "状态", "status")
STATUS_ZH = {"green": "达标", "yellow": "按进度推进", "red": "滞后", "grey": "无数据"}


def filename(board: Dashboard, extension: str) -> str:
    return f"indicators-{board.region_code}-{board.period}-{board.as_of.isoformat()}.{extension}"


def disposition(board: Dashboard, extension: str) -> str:
    return f'attachment; filename="{filename(board, extension)}"'


def _number(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def _percent(text: str | None) -> str:
    return "" if text is None else f"{Decimal(text) * 100:.2f}%"


def to_csv(board: Dashboard) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for item in board.items:
        writer.writerow(
            csv_cell(v)
            for v in (
                item.code,
                xlsx_cell(item.name_zh),
                xlsx_cell(item.domain),
                xlsx_cell(item.unit),
                item.aggregation,
                item.target or "",
                item.actual or "",
                _percent(item.completion_rate),
                STATUS_ZH[item.status],
                item.status,
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(board: Dashboard) -> bytes:

    fills = {
        "green": PatternFill("solid", fgColor="C6EFCE"),
        "yellow": PatternFill("solid", fgColor="FFEB9C"),
        "red": PatternFill("solid", fgColor="FFC7CE"),
        "grey": PatternFill("solid", fgColor="D9D9D9"),
    }
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{board.period} {board.region_code[:6]}"
    sheet.append(xlsx_row(sheet, HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in board.items:
        sheet.append(
            xlsx_row(
                sheet,
                [
                    item.code,
                    item.name_zh,
                    item.domain,
                    item.unit,
                    item.aggregation,
                    _number(item.target),
                    _number(item.actual),
                    _number(item.completion_rate),
                    STATUS_ZH[item.status],
                    item.status,
                ],
            )
        )
        row = sheet.max_row
        sheet.cell(row=row, column=8).number_format = "0.00%"
        sheet.cell(row=row, column=9).fill = fills[item.status]
    for column, width in zip("ABCDEFGHIJ", (40, 48, 12, 14, 10, 14, 14, 10, 12, 8), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    about = book.create_sheet("说明")
    for label, value in (
        ("区域 region", f"{board.name} {board.region_code}"),
        ("期间 period", board.period),
        ("截至 as of", board.as_of.isoformat()),
        ("时间进度 elapsed share", Decimal(board.elapsed_share)),
        ("达标 green", board.counts.green),
        ("按进度推进 yellow", board.counts.yellow),
        ("滞后 red", board.counts.red),
        ("无数据 grey", board.counts.grey),
    ):
        about.append(xlsx_row(about, [label, value]))
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
