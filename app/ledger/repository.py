"""The audit log's append, link and chain queries (reads for people are in ``app.audit``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import dialect_of
from app.ledger.models import AuditEvent

# Any constant works; it names the advisory lock that makes linkers take turns on PostgreSQL.
_CHAIN_LOCK_KEY = 0x6D7A_6175_6469_74
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")
_AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]
_LINK = (
    update(_AUDIT)
    .where(_AUDIT.c.seq == bindparam("b_seq"), _AUDIT.c.chain_pos.is_(None))
    .values(chain_pos=bindparam("b_pos"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash"))
)


def visible(prefix: str, include_system: bool) -> ColumnElement[bool]:
    """Events a principal whose scope has the region prefix ``prefix`` may read: those
    concerning a region inside it, and with ``include_system`` the node's own events (no
    region). The prefix is digits only (the security layer computes it)."""
    inside = col(AuditEvent.region_code).startswith(prefix, autoescape=True)
    system = col(AuditEvent.region_code) == "" if include_system else false()
    return or_(inside, system)


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_chain(self, *, wait: bool = True) -> bool:
        """Make linkers take turns until this transaction ends (SQLite's write lock already
        does); without ``wait``, False when another transaction holds the turn."""
        if dialect_of(self.session) != "postgresql":
            return True
        if wait:
            await self.session.execute(_LOCK, {"key": _CHAIN_LOCK_KEY})
            return True
        return bool((await self.session.execute(_TRY_LOCK, {"key": _CHAIN_LOCK_KEY})).scalar_one())

    async def head(self) -> tuple[int, str] | None:
        """The position and hash of the last linked event."""
        row = (
            await self.session.execute(
                select(col(AuditEvent.chain_pos), col(AuditEvent.hash))
                .where(col(AuditEvent.chain_pos).is_not(None))
                .order_by(col(AuditEvent.chain_pos).desc())
                .limit(1)
            )
        ).first()
        return (int(row[0] or 0), str(row[1])) if row else None

    async def insert(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(AuditEvent).values(**values))

    async def unchained(self, limit: int) -> Sequence[AuditEvent]:
        """Committed events not linked yet, in the order they were appended."""
        query = (
            select(AuditEvent)
            .where(col(AuditEvent.chain_pos).is_(None))
            .order_by(col(AuditEvent.seq))
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def link(self, links: Sequence[dict[str, Any]]) -> None:
        """Set ``chain_pos``, ``prev_hash`` and ``hash`` of unchained events (keys ``b_seq``,
        ``b_pos``, ``b_prev``, ``b_hash``): the one update the triggers allow."""
        if links:
            await self.session.execute(_LINK, list(links))

    async def tail(self) -> tuple[int, datetime | None]:
        """How many events are not linked yet, and when the oldest of them happened."""
        row = (
            await self.session.execute(
                select(func.count(), func.min(col(AuditEvent.occurred_at))).where(
                    col(AuditEvent.chain_pos).is_(None)
                )
            )
        ).one()
        return int(row[0]), row[1]

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count()).select_from(AuditEvent))).scalar_one())

    async def stream(self, batch: int = 5000) -> AsyncIterator[Sequence[AuditEvent]]:
        """Linked events in chain order."""
        after = 0
        while True:
            rows = (
                (
                    await self.session.execute(
                        select(AuditEvent)
                        .where(col(AuditEvent.chain_pos) > after)
                        .order_by(col(AuditEvent.chain_pos))
                        .limit(batch)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                return
            yield rows
            after = int(rows[-1].chain_pos or 0)
