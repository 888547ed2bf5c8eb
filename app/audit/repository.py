"""Reading the audit log for people: events in a reader's scope, filtered."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.schemas import AuditEventFilter
from app.core.validators import normalize_region_code
from app.ledger.audit import AuditScope
from app.ledger.models import AuditEvent
from app.ledger.repository import visible
from app.security.scope import region_prefix


class AuditReadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(
        self, scope: AuditScope, filters: AuditEventFilter, *, before_seq: int | None, limit: int
    ) -> Sequence[AuditEvent]:
        query = select(AuditEvent).where(visible(scope.prefix, scope.include_system))
        if filters.region_code:
            prefix = region_prefix(normalize_region_code(filters.region_code))
            query = query.where(col(AuditEvent.region_code).startswith(prefix, autoescape=True))
        if filters.actor:
            query = query.where(col(AuditEvent.actor_sub) == filters.actor)
        if filters.action:
            if filters.action.endswith("*"):
                query = query.where(col(AuditEvent.action).startswith(filters.action[:-1], autoescape=True))
            else:
                query = query.where(col(AuditEvent.action) == filters.action)
        if filters.resource_type:
            query = query.where(col(AuditEvent.resource_type) == filters.resource_type)
        if filters.resource_id:
            query = query.where(col(AuditEvent.resource_id) == filters.resource_id)
        if filters.since:
            query = query.where(col(AuditEvent.occurred_at) >= filters.since)
        if filters.until:
            query = query.where(col(AuditEvent.occurred_at) < filters.until)
        if filters.outcome:
            query = query.where(col(AuditEvent.outcome) == filters.outcome)
        if before_seq is not None:
            query = query.where(col(AuditEvent.seq) < before_seq)
        query = query.order_by(col(AuditEvent.seq).desc()).limit(limit)
        return (await self.session.execute(query)).scalars().all()
