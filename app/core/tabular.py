"""Tables in and out.

In: uploaded CSV (UTF-8, with or without BOM) or XLSX, row by row, with the line number each
row came from, so bulk imports can report rejects by line. NUL characters are dropped from
cells: no database text can hold one and no spreadsheet value means one.

Out: every export cell goes through :func:`csv_cell` or :func:`xlsx_row`. A text cell that a
spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return) is neutralised with a leading single quote (the OWASP CSV-injection rule); XLSX text
cells are written as strings, never formulas; numbers stay numbers (a negative number too).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

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
        width = len(names)
        for line, values in enumerate(reader, start=2):
            cells = [_clean(v) for v in values] if "\x00" in "".join(values) else [v.strip() for v in values]
            # blank when the raw cells are: a line of NULs alone is read (and reported by line)
            if not any(cells) and not any(v.strip() for v in values):
                continue
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield line, dict(zip(names, cells, strict=False))
    except UnicodeDecodeError:
        raise Unprocessable.at(("body", "file"), "the CSV file is not UTF-8") from None
    finally:
        text.detach()


def read_xlsx(stream: IO[bytes], aliases: dict[str, str] | None = None) -> Iterator[Row]:

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


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def neutralise(text: str) -> str:
    """Text a spreadsheet cannot take for a formula: a quote before a leading ``=``, ``+``,
    ``-``, ``@``, tab or CR. A plain number written as text (``-12.50``, ``-3.5%``) is left as
    it is."""
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def csv_cell(value: Any) -> Any:
    """An export value for ``csv.writer``: text neutralised, numbers and empties as they are."""
    if isinstance(value, str):
        return neutralise(value)
    return value


def xlsx_cell(value: object) -> object:
    """A value a worksheet accepts: XLSX cannot hold most control characters, which free text
    may carry, so they are dropped from strings; text is neutralised as in CSV."""
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """Cells for ``sheet.append``: numbers and booleans as they are, ``None`` and ``""`` empty,
    everything else as a string cell (``data_type`` ``s``) — openpyxl would otherwise store text starting
    with ``=`` as a live formula."""

    out: list[Any] = []
    for value in values:
        if value is None or value == "" or isinstance(value, bool | int | float | Decimal):
            out.append(None if value == "" else value)  # an empty text is an empty cell
            continue
        text = xlsx_cell(value if isinstance(value, str) else str(value))
        cell = Cell(sheet, row=1, column=1, value=str(text))  # placed by append
        cell.data_type = "s"
        out.append(cell)
    return out
