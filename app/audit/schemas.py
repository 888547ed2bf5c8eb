"""Audit filters and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.validators import REGION_PATTERN


class AuditEventFilter(BaseModel):
    """The filters of ``GET /audit/events``, read from the query string."""

    region_code: str | None = Field(
        default=None, pattern=REGION_PATTERN, description="Only events concerning this region"
    )
    actor: str | None = Field(default=None, max_length=200)
    action: str | None = Field(default=None, max_length=100, description="Exact, or a prefix ending in *")
    resource_type: str | None = Field(default=None, max_length=60)
    resource_id: str | None = Field(default=None, max_length=100)
    outcome: Literal["ok", "denied", "error"] | None = None
    since: datetime | None = None
    until: datetime | None = None


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
    region_code: str = Field(description="Region the event concerns; empty for the node's own events.")
    details: dict[str, Any]
    chain_pos: int | None = Field(description="The event's place in the chain; null until it is linked.")
    prev_hash: str | None = Field(description="The previous event's hash; null until linked.")
    hash: str | None = Field(description="The event's hash; null until linked.")


class ChainVerification(BaseModel):
    ok: bool = Field(description="Whether the whole chain verifies.")
    checked: int = Field(description="Events recomputed: the whole chain, whatever the scope.")
    head: str | None
    first_bad_seq: int | None
    scope: str = Field(description="The caller's region scope.")
    in_scope: int = Field(description="Events of the chain inside the caller's scope.")
    pending: int = Field(
        description="Events appended but not linked into the chain yet (committed after the "
        "verification began): the chain does not vouch for them yet."
    )
    pending_since: datetime | None = Field(description="When the oldest of the pending events happened.")
