"""Every query on the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.models import AuditEvent
from app.core.db import dialect_of

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

    async def search(
        self,
        *,
        prefix: str,
        include_system: bool,
        region_prefix: str | None,
        actor: str | None,
        action: str | None,
        resource_type: str | None,
        resource_id: str | None,
        since: datetime | None,
        until: datetime | None,
        outcome: str | None,
        before_seq: int | None,
        limit: int,
    ) -> Sequence[AuditEvent]:
        query = select(AuditEvent).where(visible(prefix, include_system))
        if region_prefix:
            query = query.where(col(AuditEvent.region_code).startswith(region_prefix, autoescape=True))
        if actor:
            query = query.where(col(AuditEvent.actor_sub) == actor)
        if action:
            if action.endswith("*"):
                query = query.where(col(AuditEvent.action).startswith(action[:-1], autoescape=True))
            else:
                query = query.where(col(AuditEvent.action) == action)
        if resource_type:
            query = query.where(col(AuditEvent.resource_type) == resource_type)
        if resource_id:
            query = query.where(col(AuditEvent.resource_id) == resource_id)
        if since:
            query = query.where(col(AuditEvent.occurred_at) >= since)
        if until:
            query = query.where(col(AuditEvent.occurred_at) < until)
        if outcome:
            query = query.where(col(AuditEvent.outcome) == outcome)
        if before_seq is not None:
            query = query.where(col(AuditEvent.seq) < before_seq)
        query = query.order_by(col(AuditEvent.seq).desc()).limit(limit)
        return (await self.session.execute(query)).scalars().all()

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
