"""The audit log table. Rows are never deleted and never changed, except once: the chainer links
an event appended unchained (its position, previous hash and hash); triggers in the database
refuse everything else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Sequence
from sqlmodel import Field, SQLModel

from app.core.types import BigSerial, JSONDocument, UTCDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_occurred_at", "occurred_at"),
        Index("ix_audit_log_actor_sub", "actor_sub"),
        Index("ix_audit_log_resource", "resource_type", "resource_id"),
        Index("ix_audit_log_action", "action"),
        Index("ix_audit_log_region_code", "region_code"),
        Index("ix_audit_log_chain_pos", "chain_pos", unique=True),
    )

    seq: int | None = Field(
        default=None, sa_column=Column(BigSerial, Sequence("audit_log_seq_seq"), primary_key=True)
    )
    """The event's number, in the order of appending (gaps where a transaction rolled back)."""
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor_sub: str = Field(max_length=200)
    actor_roles: str = Field(default="", max_length=200)
    actor_region: str = Field(default="", max_length=12)
    action: str = Field(max_length=100)
    resource_type: str = Field(default="", max_length=60)
    resource_id: str = Field(default="", max_length=100)
    request_id: str | None = Field(default=None, max_length=100)
    client_addr: str | None = Field(default=None, max_length=100)
    outcome: str = Field(default="ok", max_length=10)
    region_code: str = Field(default="", max_length=12)
    """The region of what the event concerns; empty for events of the node itself (system)."""
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONDocument, nullable=False))
    chain_pos: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    """The event's place in the chain (1, 2, …), set when it is linked; None while unchained."""
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64, unique=True)
