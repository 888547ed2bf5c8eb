"""Field descriptions from the tables themselves, so the catalog cannot drift from the schema."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Integer, String, Uuid

from app.catalog.schemas import DatasetField
from app.core.record import EntitySpec

BASE_NOTES = {
    "id": "record id (UUIDv7)",
    "region_code": "12-digit region code the record belongs to",
    "origin": "region code of the node that owns the record",
    "version": "version, +1 on every change at the origin",
    "created_at": "when the record was created",
    "updated_at": "when the record last changed",
    "updated_by": "who changed it last",
    "deleted_at": "when it was deleted (tombstone)",
}


def type_name(column_type: Any) -> str:
    for kind, name in (
        (Uuid, "uuid"),
        (Boolean, "boolean"),
        (BigInteger, "integer"),
        (Integer, "integer"),
        (DateTime, "datetime"),
        (Date, "date"),
        (JSON, "json"),
        (String, "string"),
    ):
        if isinstance(column_type, kind):
            return name
    impl = getattr(column_type, "impl", None)
    return type_name(impl) if impl is not None else str(column_type).lower()


def describe(spec: EntitySpec) -> list[DatasetField]:
    table = spec.model.__table__  # type: ignore[attr-defined]
    out = []
    for column in table.columns:
        meaning = (
            spec.field_notes.get(column.key) or BASE_NOTES.get(column.key) or column.key.replace("_", " ")
        )
        out.append(
            DatasetField(
                name=column.key,
                type=type_name(column.type),
                meaning=meaning,
                personal=spec.is_personal(column.key),
            )
        )
    return out
