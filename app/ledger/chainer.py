"""The chainer: links the audit events each worker's requests append unchained.

Every worker runs one on PostgreSQL. Every ``interval`` it links the committed unchained
events in batches; when another worker's chainer (or a reader of the chain) is linking, it
skips its turn rather than queue for the chain's lock. A failure is logged and retried at the
next turn: the events stay in the tail, which ``/audit/verify`` reports, until they are linked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.ledger import audit

log = logging.getLogger("app.audit")


class Chainer:
    def __init__(
        self, factory: async_sessionmaker[AsyncSession], *, interval_s: float = 0.2, batch: int = 1000
    ) -> None:
        self.factory = factory
        self.interval_s = interval_s
        self.batch = batch
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-chainer")

    async def stop(self) -> None:
        """Stop, then link what this worker's last requests appended."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        try:
            await audit.link_all(self.factory, limit=self.batch)
        except Exception as exc:
            log.error("audit chain: linking at shutdown failed: %s", type(exc).__name__)

    async def turn(self) -> int:
        """Link batches until the tail is short or another linker holds the lock."""
        total = 0
        while True:
            async with self.factory() as session, session.begin():
                linked = await audit.link(session, limit=self.batch, wait=False)
            total += linked
            if linked < self.batch:
                return total

    async def _run(self) -> None:
        while True:
            try:
                await self.turn()
            except Exception as exc:
                log.error("audit chain: linking failed: %s", type(exc).__name__)
            await asyncio.sleep(self.interval_s)
