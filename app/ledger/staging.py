"""Rows in their snapshot form (JSON values) written to a temporary table with ``COPY`` on
PostgreSQL, for a set-based statement to read.

``COPY … FROM STDIN`` in text format hands every value to its column's input function, as a
literal in a statement would be; this costs the database much less than reading the same
rows from one JSON parameter (a JSON document parsed, then each field converted to text and
to its column's type).
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_json
from sqlalchemy import JSON, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import driver_of

_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _field(value: Any) -> str:
    """One value in COPY's text format (``\\N`` for NULL)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_SPECIAL)
        return value
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int | float):
        return repr(value)
    return to_json(value).decode().translate(_SPECIAL)


def _document(value: Any) -> str:
    """A JSON column's value: the JSON text of whatever it holds (``\\N`` for NULL)."""
    return "\\N" if value is None else to_json(value).decode().translate(_SPECIAL)


def copy_text(
    columns: Sequence[str], rows: Sequence[dict[str, Any]], documents: Collection[str] = ()
) -> bytes:
    """``rows`` (each holding every one of ``columns``) in COPY's text format; the columns
    named in ``documents`` are JSON columns."""
    encoders = [_document if c in documents else _field for c in columns]
    pairs = list(zip(columns, encoders, strict=True))
    return "".join(["\t".join([encode(row[c]) for c, encode in pairs]) + "\n" for row in rows]).encode()


@dataclass(frozen=True, slots=True)
class Batch:
    """Records of one table that carry the same columns, ready to COPY: the newest version
    of each record only."""

    columns: tuple[str, ...]
    count: int
    data: bytes


def batches(table: Table, snapshots: Iterable[dict[str, Any]]) -> tuple[Batch, ...]:
    """``snapshots`` of records of ``table`` as COPY batches, one per column set: of several
    versions of one record only the newest is kept; keys that are not columns are left out."""
    newest: dict[Any, dict[str, Any]] = {}
    for values in snapshots:
        seen = newest.get(values["id"])
        if seen is None or values["version"] > seen["version"]:
            newest[values["id"]] = values
    known = {c.key for c in table.columns}
    documents = {c.key for c in table.columns if isinstance(c.type, JSON)}
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in newest.values():
        groups.setdefault(tuple(sorted(k for k in values if k in known)), []).append(values)
    return tuple(
        Batch(columns, len(rows), copy_text(columns, rows, documents)) for columns, rows in groups.items()
    )


def stage_name(table: str) -> str:
    return f"stage_{table}"


async def stage(session: AsyncSession, table: Table, batch: Batch) -> str:
    """COPY ``batch`` into a temporary table shaped like ``table`` (created in this
    transaction, dropped at its end, emptied first when it is already there); returns its
    name. The temporary table has no constraints or defaults: a column the batch lacks is
    NULL there."""
    name = stage_name(table.name)
    shape = f'SELECT * FROM "{table.name}" WITH NO DATA'  # noqa: S608 - the model's name, never input
    await session.execute(text(f'CREATE TEMP TABLE IF NOT EXISTS "{name}" ON COMMIT DROP AS {shape}'))
    driver = await driver_of(session)
    await driver.execute(f'TRUNCATE "{name}"')
    await driver.copy_to_table(
        name, source=io.BytesIO(batch.data), columns=list(batch.columns), format="text"
    )
    return name
