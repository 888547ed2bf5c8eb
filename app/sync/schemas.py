"""Sync request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class NodeInfo(BaseModel):
    region: str
    name: str
    epoch: str
    schema_version: str | None


class Change(BaseModel):
    seq: int
    entity: str
    id: uuid.UUID
    op: str
    version: int
    region_code: str
    origin: str
    changed_at: datetime
    data: dict[str, Any]


class FeedPage(BaseModel):
    changes: list[Change]
    next_cursor: str
    has_more: bool
    node: NodeInfo
    audit_head: str


class SnapshotPage(BaseModel):
    entity: str
    records: list[dict[str, Any]]
    next_cursor: str | None
    feed_cursor: str
    node: NodeInfo


class DigestEntry(BaseModel):
    entity: str
    region: str
    count: int
    hash: str


class DigestRead(BaseModel):
    node: NodeInfo
    entries: list[DigestEntry]


class ChainProof(BaseModel):
    chain_ok: bool
    checked: int
    head: str | None
    witness: str | None
    witness_seq: int | None


class PeerRead(BaseModel):
    name: str
    relation: str
    base_url: str
    entities: list[str]
    interval_s: float
    cursor_set: bool
    epoch: str | None
    last_success_at: datetime | None
    lag_s: float | None
    last_error: str | None
    last_error_at: datetime | None
    records_applied: int
    witness_audit_head: str | None


class SessionRead(BaseModel):
    id: uuid.UUID
    peer: str
    kind: str
    started_at: datetime
    ended_at: datetime | None
    pages: int
    received: int
    applied: int
    failures: int
    duration_ms: int
    outcome: str
    error: str | None
