"""The audit log's append and chain queries (reads for people are in ``app.audit``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import dialect_of
from app.ledger.models import AuditEvent

# Any constant works; it names the advisory lock that serialises appends on PostgreSQL.
_APPEND_LOCK_KEY = 0x6D7A_6175_6469_74


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

    async def lock_head(self) -> None:
        """Serialise appenders until this transaction ends (SQLite's write lock already does)."""
        if dialect_of(self.session) == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK_KEY})

    async def head(self) -> tuple[int, str] | None:
        row = (
            await self.session.execute(
                select(col(AuditEvent.seq), col(AuditEvent.hash))
                .order_by(col(AuditEvent.seq).desc())
                .limit(1)
            )
        ).first()
        return (int(row[0]), str(row[1])) if row else None

    async def insert(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(AuditEvent).values(**values))

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count()).select_from(AuditEvent))).scalar_one())

    async def stream(self, batch: int = 5000) -> AsyncIterator[Sequence[AuditEvent]]:
        after = 0
        while True:
            rows = (
                (
                    await self.session.execute(
                        select(AuditEvent)
                        .where(col(AuditEvent.seq) > after)
                        .order_by(col(AuditEvent.seq))
                        .limit(batch)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                return
            yield rows
            after = rows[-1].seq
