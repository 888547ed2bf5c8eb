"""The audit log as its readers see it: events and the chain's verification, within a scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.repository import AuditReadRepository
from app.audit.schemas import AuditEventFilter
from app.core.db import Database
from app.ledger import audit as chain
from app.ledger.audit import AuditScope, ChainReport
from app.ledger.models import AuditEvent


async def link_pending(db: Database) -> None:
    """Link what has been committed so far, so that readers see it chained (on SQLite every
    event is linked as it is appended)."""
    if db.is_postgres:
        await chain.link_all(db.writer)


async def list_events(
    session: AsyncSession,
    scope: AuditScope,
    filters: AuditEventFilter,
    *,
    before_seq: int | None = None,
    limit: int = 50,
) -> Sequence[AuditEvent]:
    return await AuditReadRepository(session).search(scope, filters, before_seq=before_seq, limit=limit)


async def verify(session: AsyncSession, scope: AuditScope) -> ChainReport:
    """The whole chain recomputed; ``in_scope`` counts the events the reader may see,
    ``pending`` those not linked yet."""
    return await chain.verify(session, scope)
