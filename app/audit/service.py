"""Appending to and verifying the audit chain."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.actor import Actor
from app.audit.chain import GENESIS, event_hash
from app.audit.models import AuditEvent
from app.audit.repository import AuditRepository
from app.core.types import utcnow

log = logging.getLogger("app.audit")


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int
    head: str | None
    first_bad_seq: int | None


async def append(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    resource_type: str = "",
    resource_id: str = "",
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
) -> str:
    """Append one event inside the caller's transaction; returns its hash.

    ``details`` names what changed (field names, counts, digests) and never holds personal
    values.
    """
    repo = AuditRepository(session)
    await repo.lock_head()
    head = await repo.head()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    values: dict[str, Any] = {
        "seq": seq,
        "occurred_at": utcnow(),
        "actor_sub": actor.sub[:200],
        "actor_roles": ",".join(actor.roles)[:200],
        "actor_region": actor.region[:12],
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "request_id": actor.request_id,
        "client_addr": actor.client_addr,
        "outcome": outcome,
        "details": details or {},
        "prev_hash": prev,
    }
    values["hash"] = event_hash(values)
    await repo.insert(values)
    return str(values["hash"])


async def append_detached(
    factory: async_sessionmaker[AsyncSession],
    actor: Actor,
    action: str,
    **kwargs: Any,
) -> None:
    """Append in a transaction of its own: for events of requests that write nothing else
    (denials, reveals, served sync pages). A failure is logged, never raised to the caller."""
    try:
        async with factory() as session, session.begin():
            await append(session, actor, action, **kwargs)
    except Exception as exc:
        log.error("audit append failed for %s: %s", action, type(exc).__name__)


async def head(session: AsyncSession) -> str:
    found = await AuditRepository(session).head()
    return found[1] if found else GENESIS


async def verify(session: AsyncSession) -> ChainReport:
    """Recompute every hash in order; report the first row that does not fit."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    async for rows in AuditRepository(session).stream():
        for row in rows:
            values = row.model_dump()
            if row.seq != expected_seq or row.prev_hash != prev or event_hash(values) != row.hash:
                return ChainReport(ok=False, checked=checked, head=prev, first_bad_seq=row.seq)
            prev = row.hash
            expected_seq += 1
            checked += 1
    return ChainReport(ok=True, checked=checked, head=None if checked == 0 else prev, first_bad_seq=None)


async def list_events(
    session: AsyncSession,
    *,
    actor: str | None = None,
    action: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: str | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> Sequence[AuditEvent]:
    return await AuditRepository(session).search(
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        since=since,
        until=until,
        outcome=outcome,
        before_seq=before_seq,
        limit=limit,
    )
