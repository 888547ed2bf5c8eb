"""Audit response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    occurred_at: datetime
    actor_sub: str
    actor_roles: str
    actor_region: str
    action: str
    resource_type: str
    resource_id: str
    request_id: str | None
    client_addr: str | None
    outcome: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class ChainVerification(BaseModel):
    ok: bool
    checked: int
    head: str | None
    first_bad_seq: int | None
