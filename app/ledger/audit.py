"""Appending to and verifying the audit chain: every event is linked to the one before by its
hash, so a changed or removed event breaks every later link."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.types import utcnow
from app.ledger.actor import Actor
from app.ledger.chain import GENESIS, event_hash
from app.ledger.repository import AuditRepository

log = logging.getLogger("app.audit")


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int
    head: str | None
    first_bad_seq: int | None
    in_scope: int | None = None


@dataclass(frozen=True, slots=True)
class AuditScope:
    """What a reader may see: events concerning regions under ``prefix`` and, with
    ``include_system``, the node's own events (no region)."""

    prefix: str
    include_system: bool

    def covers(self, region_code: str) -> bool:
        return region_code.startswith(self.prefix) if region_code else self.include_system


def default_region(actor: Actor) -> str:
    """The region an event concerns when the caller names none: the actor's scope, or none
    (a system event) for the service's own work."""
    return "" if actor.is_system else actor.region


async def append(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    resource_type: str = "",
    resource_id: str = "",
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
    region_code: str | None = None,
) -> str:
    """Append one event inside the caller's transaction; returns its hash.

    ``details`` names what changed (field names, counts, digests) and never holds personal
    values. ``region_code`` is the region of what the event concerns (a record's region, an
    export's scope); by default the actor's scope, which is empty for the node's own work —
    system events, shown only to principals whose scope covers the node.
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
        "region_code": (default_region(actor) if region_code is None else region_code)[:12],
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


async def verify(session: AsyncSession, scope: AuditScope | None = None) -> ChainReport:
    """Recompute every hash in order; report the first row that does not fit.

    The chain links every event to the one before, so a scoped reader's verification still
    recomputes the whole chain (a proof over a subset would prove nothing); ``in_scope``
    counts the events of the chain that reader may see."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    in_scope = 0
    async for rows in AuditRepository(session).stream():
        for row in rows:
            values = row.model_dump()
            if row.seq != expected_seq or row.prev_hash != prev or event_hash(values) != row.hash:
                return ChainReport(
                    ok=False,
                    checked=checked,
                    head=prev,
                    first_bad_seq=row.seq,
                    in_scope=in_scope if scope else None,
                )
            prev = row.hash
            expected_seq += 1
            checked += 1
            if scope is not None and scope.covers(row.region_code):
                in_scope += 1
    return ChainReport(
        ok=True,
        checked=checked,
        head=None if checked == 0 else prev,
        first_bad_seq=None,
        in_scope=in_scope if scope else None,
    )
