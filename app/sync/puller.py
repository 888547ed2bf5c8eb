"""Pulling a peer: feed pages applied with their checkpoint in one transaction, full resyncs
from snapshots when the cursor is gone, a session history, a lease so one worker pulls a
peer at a time, and one audit event per page."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core import collector
from app.core.config import Settings, SyncPeer
from app.core.db import Database
from app.core.record import ENTITIES
from app.core.types import utcnow
from app.ledger import audit
from app.ledger.actor import Actor
from app.ledger.unit_of_work import UnitOfWork
from app.security.pii import PiiCipher
from app.sync.applier import PreparedPage, apply_prepared, apply_records, prepare_page
from app.sync.boundary import check_page, child_region
from app.sync.client import PeerClient
from app.sync.exceptions import BoundaryViolation, CursorGone, PullInProgress, SchemaMismatch, SyncError
from app.sync.models import PeerState, SyncSession
from app.sync.repository import SyncRepository
from app.sync.schemas import FeedPage

log = logging.getLogger("app.sync")

Fetched = tuple[FeedPage, bytes, PreparedPage | None]
"""A feed page, its raw bytes (for the audit's hash), and its records prepared to apply."""


def default_entities(peer: SyncPeer) -> list[str]:
    """Business records come up from children; reference data comes down from a parent."""
    if peer.entities:
        return list(peer.entities)
    kind = "business" if peer.relation == "child" else "reference"
    return [
        name
        for name, spec in sorted(ENTITIES.items(), key=lambda kv: (kv[1].order, kv[0]))
        if spec.kind == kind
    ]


@dataclass
class Progress:
    pages: int = 0
    received: int = 0
    applied: int = 0
    failures: int = 0


class Puller:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        pii: PiiCipher,
        peer: SyncPeer,
        *,
        schema_version: str | None,
        client: PeerClient | None = None,
        on_page: Callable[[Progress], None] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.pii = pii
        self.peer = peer
        self.schema_version = schema_version
        self.client = client or PeerClient(
            peer, timeout_s=settings.sync_timeout_s, max_retries=settings.sync_max_retries
        )
        self.entities = default_entities(peer)
        self.on_page = on_page
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_s = max(60.0, settings.sync_timeout_s * (settings.sync_max_retries + 2))
        self.actor = Actor.system(f"sync:{peer.name}", settings.node_region)

    async def _bounded(
        self,
        repo: SyncRepository,
        state: PeerState,
        reported_region: str,
        records: list[tuple[str, dict[str, Any], dict[str, Any]]],
    ) -> None:
        """A child's page: every record inside the child's region, or nothing of it is applied.
        The child's region is pinned on the first page accepted (unless configured)."""
        if self.peer.relation != "child":
            return
        taken: list[str] = []
        if self.peer.region is None and state.region is None:
            pinned = {s.peer: s.region for s in await repo.peers() if s.region}
            for other in self.settings.sync_peers:
                region = other.region or pinned.get(other.name)
                if other.name != self.peer.name and other.relation == "child" and region:
                    taken.append(region)
        region = child_region(
            self.peer.name, self.settings.node_region, self.peer.region, state.region, reported_region, taken
        )
        check_page(self.peer.name, region, records)
        if state.region != region:
            state.region = region

    async def _refused(self, exc: BoundaryViolation, raw: bytes | None, count: int) -> None:
        """The audit event of a refused page, in a transaction of its own (the page's rolled back)."""
        details: dict[str, Any] = {**exc.details, "reason": str(exc)[:300], "count": count}
        if raw is not None:
            details["sha256"] = hashlib.sha256(raw).hexdigest()
        async with self.db.writer() as session, session.begin():
            await audit.append(
                session,
                self.actor,
                "sync.refused",
                resource_type="sync_peer",
                resource_id=self.peer.name,
                outcome="denied",
                details=details,
                region_code=exc.region or "",
            )

    def _uow(self, session: object) -> UnitOfWork:
        return UnitOfWork(session, self.actor, node_region=self.settings.node_region)  # type: ignore[arg-type]

    async def _lease(self) -> None:
        async with self.db.writer() as session, session.begin():
            if not await SyncRepository(session).take_lease(self.peer.name, self.owner, self.lease_s):
                raise PullInProgress(f"another worker is pulling {self.peer.name}")

    async def pull(self, *, follow: bool = False, stop: asyncio.Event | None = None) -> SyncSession:
        """Pull until caught up (or, with ``follow``, until ``stop`` is set)."""
        await self._lease()
        started = time.monotonic()
        progress = Progress()
        async with self.db.writer() as session, session.begin():
            state = await SyncRepository(session).peer(self.peer.name)
            record = SyncSession(peer=self.peer.name, start_cursor=state.cursor)
            await SyncRepository(session).add_session(record)
        outcome, error = "ok", None
        try:
            await self._run(progress, record, follow, stop)
        except SyncError as exc:
            outcome, error = "failed", str(exc)[:500]
            progress.failures += 1
            await self._record_failure(error)
            raise
        except BaseException as exc:
            outcome, error = "interrupted", type(exc).__name__
            raise
        finally:
            try:
                await self._finish(record, progress, outcome, error, started)
            except Exception as exc:  # the lease expires on its own if this fails
                log.error("sync peer %s: could not close the session: %s", self.peer.name, type(exc).__name__)
        return record

    async def _run(
        self, progress: Progress, record: SyncSession, follow: bool, stop: asyncio.Event | None
    ) -> None:
        # While a page is applied the next one is already being read (its cursor is known).
        ahead: tuple[str, asyncio.Future[Fetched]] | None = None
        try:
            while True:
                async with self.db.reader() as session:
                    cursor = (await SyncRepository(session).peer(self.peer.name)).cursor
                if cursor is None:
                    record.kind = "full"
                    await self.resync(progress)
                    continue
                if ahead is not None and ahead[0] == cursor:
                    fetch = ahead[1]
                else:
                    if ahead is not None:
                        ahead[1].cancel()
                    fetch = asyncio.ensure_future(self._fetch(cursor))
                ahead = None
                try:
                    page, raw, prepared = await fetch
                except CursorGone:
                    log.warning("sync peer %s: cursor gone, starting a full resync", self.peer.name)
                    await self._reset_cursor()
                    continue
                self._check_schema(page)
                if page.has_more:
                    ahead = (page.next_cursor, asyncio.ensure_future(self._fetch(page.next_cursor)))
                await self._apply_page(page, raw, prepared, cursor, progress)
                if not page.has_more:
                    if not follow or (stop is not None and stop.is_set()):
                        return
                    await self._wait(stop)
        finally:
            if ahead is not None:
                ahead[1].cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await ahead[1]

    async def _fetch(self, cursor: str) -> Fetched:
        """A page, its bytes, and on PostgreSQL its records prepared for the set-based apply
        (checked and re-sealed here, so a page is prepared while the one before is written)."""
        page, raw = await self.client.changes(cursor, self.settings.sync_page_size, self.entities)
        if not self.db.is_postgres:
            return page, raw, None
        with collector.paused():
            prepared = prepare_page(
                ((c.entity, c.data) for c in page.changes), self.pii, self.entities, self.settings.node_region
            )
        return page, raw, prepared

    async def _wait(self, stop: asyncio.Event | None) -> None:
        interval = self.peer.interval_s or 2.0
        if stop is None:
            await asyncio.sleep(interval)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)

    def _check_schema(self, page: FeedPage) -> None:
        if page.node.schema_version != self.schema_version:
            raise SchemaMismatch(
                f"peer {self.peer.name} runs schema {page.node.schema_version}, "
                f"this node {self.schema_version}; upgrade both to the same release"
            )

    async def _apply_page(
        self, page: FeedPage, raw: bytes, prepared: PreparedPage | None, cursor: str, progress: Progress
    ) -> None:
        try:
            await self._apply_page_bounded(page, raw, prepared, cursor, progress)
        except BoundaryViolation as exc:
            await self._refused(exc, raw, len(page.changes))
            raise

    async def _apply_page_bounded(
        self, page: FeedPage, raw: bytes, prepared: PreparedPage | None, cursor: str, progress: Progress
    ) -> None:
        async with self.db.writer() as session, session.begin():
            repo = SyncRepository(session)
            state = await repo.peer(self.peer.name, for_update=True)
            with collector.paused():
                envelopes = [
                    (c.entity, {"id": c.id, "region_code": c.region_code, "origin": c.origin}, c.data)
                    for c in page.changes
                ]
            await self._bounded(repo, state, page.node.region, envelopes)
            uow = self._uow(session)
            if prepared is not None:
                applied = await apply_prepared(uow, prepared)
            else:
                applied = await apply_records(
                    uow, self.pii, ((c.entity, c.data) for c in page.changes), self.entities
                )
            now = utcnow()
            state.cursor = page.next_cursor
            state.epoch = page.node.epoch
            state.witness_audit_head = page.audit_head
            state.last_success_at = now
            if page.changes:
                state.last_change_at = max(c.changed_at for c in page.changes)
            state.records_applied += applied
            state.last_error = None
            await repo.take_lease(self.peer.name, self.owner, self.lease_s)
            await uow.audit(
                "sync.pull",
                resource_type="sync_peer",
                resource_id=self.peer.name,
                region_code=state.region if self.peer.relation == "child" else "",
                details={
                    "cursor_from": cursor[-24:],
                    "count": len(page.changes),
                    "applied": applied,
                    "sha256": hashlib.sha256(raw).hexdigest(),
                    "audit_head": page.audit_head,
                },
            )
        progress.pages += 1
        progress.received += len(page.changes)
        progress.applied += applied
        if self.on_page:
            self.on_page(progress)

    async def _reset_cursor(self) -> None:
        async with self.db.writer() as session, session.begin():
            state = await SyncRepository(session).peer(self.peer.name, for_update=True)
            state.cursor = None

    async def resync(self, progress: Progress) -> None:
        """Take every record from the peer's snapshots, then continue the feed from the cursor
        the first snapshot page named (captured before any record was read)."""
        feed_cursor: str | None = None
        for entity in self.entities:
            cursor: str | None = None
            while True:
                page = await self.client.snapshot(entity, cursor, self.settings.sync_page_size)
                feed_cursor = feed_cursor or page.feed_cursor
                if page.node.schema_version != self.schema_version:
                    raise SchemaMismatch(f"peer {self.peer.name} runs schema {page.node.schema_version}")
                try:
                    async with self.db.writer() as session, session.begin():
                        repo = SyncRepository(session)
                        state = await repo.peer(self.peer.name, for_update=True)
                        await self._bounded(
                            repo, state, page.node.region, [(entity, {}, r) for r in page.records]
                        )
                        uow = self._uow(session)
                        applied = await apply_records(
                            uow, self.pii, ((entity, r) for r in page.records), self.entities
                        )
                        await repo.take_lease(self.peer.name, self.owner, self.lease_s)
                except BoundaryViolation as exc:
                    await self._refused(exc, None, len(page.records))
                    raise
                progress.pages += 1
                progress.received += len(page.records)
                progress.applied += applied
                if self.on_page:
                    self.on_page(progress)
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        async with self.db.writer() as session, session.begin():
            state = await SyncRepository(session).peer(self.peer.name, for_update=True)
            state.cursor = feed_cursor
            await self._uow(session).audit(
                "sync.resync",
                resource_type="sync_peer",
                resource_id=self.peer.name,
                details={"records": progress.received, "applied": progress.applied},
            )

    async def _record_failure(self, error: str) -> None:
        async with self.db.writer() as session, session.begin():
            state = await SyncRepository(session).peer(self.peer.name, for_update=True)
            state.last_error = error
            state.last_error_at = utcnow()

    async def _finish(
        self, record: SyncSession, progress: Progress, outcome: str, error: str | None, started: float
    ) -> None:
        async with self.db.writer() as session, session.begin():
            repo = SyncRepository(session)
            state = await repo.peer(self.peer.name)
            values = {
                "ended_at": utcnow(),
                "end_cursor": state.cursor,
                "pages": progress.pages,
                "received": progress.received,
                "applied": progress.applied,
                "failures": progress.failures,
                "duration_ms": int((time.monotonic() - started) * 1000),
                "outcome": outcome,
                "error": error,
                "kind": record.kind,
            }
            await repo.finish_session(record.id, values)
            await repo.release_lease(self.peer.name, self.owner)
        for key, value in values.items():
            setattr(record, key, value)
