"""Appending to, linking and verifying the audit chain: every event is linked to the one before by
its hash, so a changed, removed or moved event breaks every later link.

An event is appended *unchained* inside the caller's transaction: no lock, no read of the head,
so writers do not wait for one another. A linker (:func:`link`; on PostgreSQL the
:class:`~app.ledger.chainer.Chainer` of every worker, and every reader of the chain first)
then takes the chain's lock and links the committed events that are not linked yet in the
order they were appended: each gets its place (``chain_pos``), the previous event's hash and its
own hash. Triggers in the database refuse any other change, and linking only once. On SQLite,
whose writers take turns anyway, :func:`append` links at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import dialect_of
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
    pending: int = 0
    """Events appended but not linked yet (the tail the chain does not cover yet)."""
    pending_since: datetime | None = None


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
) -> None:
    """Append one event inside the caller's transaction, unchained (see the module's note).

    ``details`` names what changed (field names, counts, digests) and never holds personal
    values. ``region_code`` is the region of what the event concerns (a record's region, an
    export's scope); by default the actor's scope, which is empty for the node's own work —
    system events, shown only to principals whose scope covers the node.
    """
    values: dict[str, Any] = {
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
    }
    await AuditRepository(session).insert(values)
    if dialect_of(session) == "sqlite":
        await link(session)


async def link(session: AsyncSession, *, limit: int = 1000, wait: bool = True) -> int:
    """Link up to ``limit`` committed unchained events, in the order they were appended, after
    the chain's head; returns how many. Without ``wait``, links nothing (0) when another
    transaction is linking. The caller commits."""
    repo = AuditRepository(session)
    if not await repo.lock_chain(wait=wait):
        return 0
    rows = await repo.unchained(limit)
    if not rows:
        return 0
    found = await repo.head()
    pos, prev = found if found else (0, GENESIS)
    links = []
    for row in rows:
        pos += 1
        values = row.model_dump()
        values["prev_hash"] = prev
        digest = event_hash(values)
        links.append({"b_seq": row.seq, "b_pos": pos, "b_prev": prev, "b_hash": digest})
        prev = digest
    await repo.link(links)
    return len(rows)


async def link_all(factory: async_sessionmaker[AsyncSession], *, limit: int = 1000) -> int:
    """Link every event committed so far, ``limit`` per transaction (readers of the chain call
    it first, so that what they read is chained); returns how many."""
    total = 0
    while True:
        async with factory() as session, session.begin():
            linked = await link(session, limit=limit)
        total += linked
        if linked < limit:
            return total


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
    """The hash of the last linked event (GENESIS for an empty chain)."""
    found = await AuditRepository(session).head()
    return found[1] if found else GENESIS


async def verify(session: AsyncSession, scope: AuditScope | None = None) -> ChainReport:
    """Recompute every linked hash in chain order; report the first event that does not fit
    (its ``seq``), and the tail of events not linked yet.

    Each event must sit at the next place, name the previous event's hash and hash to its own:
    a changed, removed or moved event fails there. The chain links every event to the one
    before, so a scoped reader's verification still recomputes the whole chain (a proof over a
    subset would prove nothing); ``in_scope`` counts the events of the chain that reader may
    see."""
    repo = AuditRepository(session)
    prev = GENESIS
    expected_pos = 1
    checked = 0
    in_scope = 0
    async for rows in repo.stream():
        for row in rows:
            values = row.model_dump()
            if row.chain_pos != expected_pos or row.prev_hash != prev or event_hash(values) != row.hash:
                return ChainReport(
                    ok=False,
                    checked=checked,
                    head=prev,
                    first_bad_seq=row.seq,
                    in_scope=in_scope if scope else None,
                )
            prev = str(row.hash)
            expected_pos += 1
            checked += 1
            if scope is not None and scope.covers(row.region_code):
                in_scope += 1
    pending, since = await repo.tail()
    return ChainReport(
        ok=True,
        checked=checked,
        head=None if checked == 0 else prev,
        first_bad_seq=None,
        in_scope=in_scope if scope else None,
        pending=pending,
        pending_since=since,
    )
