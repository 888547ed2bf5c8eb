"""Masked exports of a dataset, streamed as CSV or XLSX.

Ciphertexts and blind indexes are left out, masked copies stay, and plain personal fields
(names, birth dates, free-text addresses) are masked; nothing is ever revealed here. Text that
a spreadsheet would read as a formula is neutralised (:mod:`app.core.tabular`)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from app.catalog.repository import CatalogRepository
from app.core.db import Database
from app.core.record import EntitySpec
from app.core.tabular import csv_cell, xlsx_row
from app.security.pii import mask_name


def export_columns(spec: EntitySpec) -> list[str]:
    table = spec.model.__table__  # type: ignore[attr-defined]
    return [c.key for c in table.columns if not c.key.endswith(("_enc", "_hash"))]


def mask_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return f"{value.year}-**-**"
    text = str(value)
    return mask_name(text) if len(text) <= 4 else text[:3] + "*" * min(len(text) - 3, 12)


def _cell(spec: EntitySpec, column: str, value: Any) -> Any:
    if column in spec.personal_fields:
        value = mask_value(value)
    if isinstance(value, dict | list):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if value is not None and not isinstance(value, int | float | Decimal | str | date | bool):
        return str(value)
    return value


async def _rows(db: Database, spec: EntitySpec, scope: str) -> AsyncIterator[list[list[Any]]]:
    columns = export_columns(spec)
    table = spec.model.__table__  # type: ignore[attr-defined]
    async with db.reader() as session:
        async for batch in CatalogRepository(session).rows(table, scope):
            yield [[_cell(spec, c, getattr(row, c)) for c in columns] for row in batch]


async def csv_stream(db: Database, spec: EntitySpec, scope: str) -> AsyncIterator[bytes]:
    """UTF-8 with a byte-order mark, so spreadsheet programs show Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export_columns(spec))
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for batch in _rows(db, spec, scope):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_cell(v) for v in row] for row in batch)
        yield buffer.getvalue().encode()


async def xlsx_stream(db: Database, spec: EntitySpec, scope: str) -> AsyncIterator[bytes]:
    """A write-only workbook built in a spooled temporary file, then streamed."""

    book = Workbook(write_only=True)
    sheet = book.create_sheet(spec.name[:31])
    sheet.append(export_columns(spec))
    async for batch in _rows(db, spec, scope):
        for row in batch:
            sheet.append(xlsx_row(sheet, [str(v) if isinstance(v, date) else v for v in row]))
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as handle:
        book.save(handle)
        handle.seek(0)
        while chunk := handle.read(64 * 1024):
            yield chunk
