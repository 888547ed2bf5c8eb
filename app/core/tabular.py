"""Reading uploaded tables: CSV (UTF-8, with or without BOM) or XLSX, row by row, with the
line number each row came from, so bulk imports can report rejects by line. NUL characters
are dropped from cells: no database text can hold one and no spreadsheet value means one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO

from app.core.errors import Unprocessable, UnsupportedMediaType

Row = tuple[int, dict[str, str]]


def _clean(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\x00", "").strip()


def read_csv(stream: IO[bytes], aliases: dict[str, str] | None = None) -> Iterator[Row]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        header = next(reader, None)
        if not header:
            raise Unprocessable.at(("body", "file"), "the file is empty")
        names = [_canonical(h, aliases) for h in header]
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            yield line, {name: _clean(values[i]) if i < len(values) else "" for i, name in enumerate(names)}
    except UnicodeDecodeError:
        raise Unprocessable.at(("body", "file"), "the CSV file is not UTF-8") from None
    finally:
        text.detach()


def read_xlsx(stream: IO[bytes], aliases: dict[str, str] | None = None) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise Unprocessable.at(("body", "file"), "the XLSX file cannot be read") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise Unprocessable.at(("body", "file"), "the file is empty")
    names = [_canonical(_clean(h), aliases) for h in header]
    for line, values in enumerate(rows, start=2):
        if not any(_clean(v) for v in values):
            continue
        yield line, {name: _clean(values[i]) if i < len(values) else "" for i, name in enumerate(names)}
    book.close()


def _canonical(name: str, aliases: dict[str, str] | None) -> str:
    key = name.strip().lstrip("\ufeff")
    return (aliases or {}).get(key, key).lower()


def read_table(
    stream: IO[bytes], filename: str, content_type: str | None, aliases: dict[str, str] | None = None
) -> Iterator[Row]:
    lower = (filename or "").lower()
    ctype = (content_type or "").lower()
    if lower.endswith(".xlsx") or "spreadsheetml" in ctype:
        return read_xlsx(stream, aliases)
    if lower.endswith(".csv") or ctype.startswith(("text/csv", "text/plain", "application/csv")):
        return read_csv(stream, aliases)
    raise UnsupportedMediaType("upload a .csv (UTF-8) or .xlsx file")


def xlsx_cell(value: object) -> object:
    """A value a worksheet accepts: XLSX cannot hold most control characters, which free text
    may carry, so they are dropped from strings."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
