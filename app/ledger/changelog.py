"""The change log: one row per committed change of a syncable record, which the sync feed reads
(see docs/sync.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.core.types import BigSerial, JSONDocument, TransactionId, UTCDateTime, utcnow


class ChangeLog(SQLModel, table=True):
    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_xid_seq", "xid", "seq"),
        Index("ix_change_log_entity_record", "entity", "record_id"),
    )

    seq: int | None = Field(default=None, sa_column=Column(BigSerial, primary_key=True, autoincrement=True))
    xid: int | None = Field(default=None, sa_column=Column(TransactionId, nullable=True))
    entity: str = Field(max_length=40)
    record_id: uuid.UUID
    op: str = Field(max_length=10)
    version: int
    region_code: str = Field(max_length=12)
    origin: str = Field(max_length=12)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    snapshot: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument, nullable=True))
    """The record as JSON after the change. Empty for records created in bulk
    (:meth:`~app.ledger.unit_of_work.UnitOfWork.bulk_create`): the feed then serves the
    record's row while it still has this version."""
