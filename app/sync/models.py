"""This node's own sync bookkeeping. Local tables: not records, never synced."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from app.core.ids import uuid7
from app.core.types import UTCDateTime, utcnow


class NodeState(SQLModel, table=True):
    """Key/value facts about this database: its epoch salt, how far the log was pruned."""

    __tablename__ = "sync_node_state"

    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)


class PeerState(SQLModel, table=True):
    """Where the pull from one peer stands: the checkpoint, the witness, the last outcome."""

    __tablename__ = "sync_peer_state"

    peer: str = Field(primary_key=True, max_length=63)
    cursor: str | None = Field(default=None, max_length=500)
    epoch: str | None = Field(default=None, max_length=64)
    witness_audit_head: str | None = Field(default=None, max_length=64)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_change_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    records_applied: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    region: str | None = Field(default=None, max_length=12)
    """A child peer's region, pinned from its first page (unless configured): every record it
    sends must lie inside it."""


class SyncSession(SQLModel, table=True):
    """One run of the puller against one peer."""

    __tablename__ = "sync_session"

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    peer: str = Field(max_length=63, index=True)
    kind: str = Field(default="incremental", max_length=20)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    start_cursor: str | None = Field(default=None, max_length=500)
    end_cursor: str | None = Field(default=None, max_length=500)
    pages: int = 0
    received: int = 0
    applied: int = 0
    failures: int = 0
    duration_ms: int = 0
    outcome: str = Field(default="running", max_length=20)
    error: str | None = Field(default=None, max_length=500)
