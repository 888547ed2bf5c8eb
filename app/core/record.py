"""Syncable records: the columns every business and reference record carries, their JSON
snapshot for the change log, and the registry of entities the sync feed knows."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from sqlalchemy import Date, FromClause, Table, Uuid
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from app.core.ids import uuid7
from app.core.types import UTCDateTime, utcnow


class SyncRecord(SQLModel):
    """Columns shared by every record that is written through the unit of work.

    ``origin`` is the region code of the node that owns the record; only that node changes it.
    ``version`` starts at 1 and grows by one with every change. ``deleted_at`` marks a
    tombstone: deletes are soft so that they sync.
    """

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    region_code: str = Field(max_length=12, index=True)
    origin: str = Field(default="", max_length=12)
    version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_by: str = Field(default="", max_length=200)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)

    entity_name: ClassVar[str] = ""

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(record: SyncRecord) -> dict[str, Any]:
    """Every column of the record as JSON-compatible values (personal fields stay encrypted)."""
    table = record.__table__  # type: ignore[attr-defined]
    return {col.key: _jsonable(getattr(record, col.key)) for col in table.columns}


def snapshot_values(table: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The snapshot of a row given as column values."""
    return {col.key: _jsonable(values.get(col.key)) for col in table.columns}


def restore(model: type[SyncRecord], data: dict[str, Any]) -> dict[str, Any]:
    """Column values parsed back from a snapshot, for the columns the model has."""
    table = model.__table__  # type: ignore[attr-defined]
    out: dict[str, Any] = {}
    for col in table.columns:
        if col.key not in data:
            continue
        value = data[col.key]
        if value is not None:
            col_type = col.type
            if isinstance(col_type, Uuid):
                value = uuid.UUID(str(value))
            elif isinstance(col_type, UTCDateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(col_type, Date):
                value = date.fromisoformat(value)
        out[col.key] = value
    return out


Derivation = Callable[[AsyncSession, Table, FromClause], Awaitable[object]]
"""How an entity keeps its derived columns (see ``EntitySpec.derive``)."""


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """A syncable entity: its table, who owns it, and which snapshot fields are ciphertexts."""

    name: str
    model: type[SyncRecord]
    kind: Literal["business", "reference"]
    title_zh: str
    title_en: str
    pii_fields: tuple[str, ...] = ()
    pii_kinds: dict[str, str] = field(default_factory=dict)
    resource: str = ""
    personal_fields: tuple[str, ...] = ()
    description: str = ""
    field_notes: dict[str, str] = field(default_factory=dict)
    order: int = 100
    derive: Derivation | None = None
    """Keeps the entity's derived columns after the unit of work wrote some of its rows: called
    with the session, the table and the rows written (a from-clause with the table's columns)."""

    def pii_kind(self, column: str) -> str:
        """The encryption context of a ciphertext column: ``id_number_enc`` → ``id_number``."""
        return self.pii_kinds.get(column, column.removesuffix("_enc"))

    def blind_index_of(self, column: str) -> str | None:
        """The blind-index column kept beside a ciphertext column (``id_number_enc`` →
        ``id_number_hash``), if the table has one. Each node keys its own index, so a replica
        recomputes it."""
        name = column.removesuffix("_enc") + "_hash"
        table = self.model.__table__  # type: ignore[attr-defined]
        return name if name in table.columns else None

    @property
    def permission_resource(self) -> str:
        """The resource of the permission table that guards reading this entity."""
        return self.resource or self.name

    def is_personal(self, column: str) -> bool:
        """Whether a column holds personal data: ciphertexts, their blind indexes and masks, and
        the plain personal fields (names, birth dates) the entity names."""
        base = column.removesuffix("_enc").removesuffix("_hash").removesuffix("_masked")
        return column in self.personal_fields or f"{base}_enc" in self.pii_fields


ENTITIES: dict[str, EntitySpec] = {}


def register_entity(spec: EntitySpec) -> EntitySpec:
    existing = ENTITIES.get(spec.name)
    if existing is not None and existing.model is not spec.model:
        raise ValueError(f"entity {spec.name!r} registered twice")
    ENTITIES[spec.name] = spec
    spec.model.entity_name = spec.name
    return spec


def entity_of(record: SyncRecord) -> EntitySpec:
    name = type(record).entity_name
    if not name or name not in ENTITIES:
        raise LookupError(f"{type(record).__name__} is not a registered entity")
    return ENTITIES[name]
