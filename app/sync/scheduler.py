"""Scheduled pulls inside the service: one task per peer with ``interval_s`` > 0. The lease in
the database keeps two workers (or replicas) from pulling one peer at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.core.config import Settings, SyncPeer
from app.core.db import Database
from app.security.pii import PiiCipher
from app.sync.exceptions import PullInProgress, SyncError
from app.sync.puller import Puller

log = logging.getLogger("app.sync.scheduler")


class Scheduler:
    def __init__(self, db: Database, settings: Settings, pii: PiiCipher, schema_version: str | None) -> None:
        self.db = db
        self.settings = settings
        self.pii = pii
        self.schema_version = schema_version
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for peer in self.settings.sync_peers:
            if peer.interval_s > 0:
                self._tasks.append(asyncio.create_task(self._loop(peer), name=f"sync-{peer.name}"))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _loop(self, peer: SyncPeer) -> None:
        while not self._stop.is_set():
            puller = Puller(self.db, self.settings, self.pii, peer, schema_version=self.schema_version)
            try:
                await puller.pull()
            except PullInProgress:
                log.debug("sync peer %s: another worker holds the lease", peer.name)
            except SyncError as exc:
                log.warning("sync peer %s: %s", peer.name, exc)
            except Exception as exc:  # a scheduled pull must never end the loop
                log.error("sync peer %s: unexpected %s", peer.name, type(exc).__name__)
            finally:
                await puller.client.aclose()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=peer.interval_s)
