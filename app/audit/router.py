"""Audit endpoints (auditor and admin), within the caller's region scope: events concerning
regions inside it, and — for a principal whose scope covers this node's region — the node's own
events (no region)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit import service
from app.audit.schemas import AuditEventFilter, AuditEventRead, ChainVerification
from app.core.config import Settings
from app.core.db import Database, ReadSession, get_database
from app.core.errors import BadRequest, error_responses
from app.core.pagination import Page, Paging
from app.ledger.audit import AuditScope
from app.security.dependencies import AppSettings, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=error_responses(401, 403))
Auditor = Annotated[Principal, require("audit:read")]
Db = Annotated[Database, Depends(get_database)]


def _scope(principal: Principal, settings: Settings) -> AuditScope:
    return AuditScope(principal.prefix, principal.covers(settings.node_region))


@router.get(
    "/events", name="audit-list", response_model=Page[AuditEventRead], responses=error_responses(400, 422)
)
async def list_events(
    session: ReadSession,
    principal: Auditor,
    settings: AppSettings,
    paging: Paging,
    filters: Annotated[AuditEventFilter, Query()],
    db: Db,
) -> Page[AuditEventRead]:
    before = None
    if paging.after is not None:
        if len(paging.after) != 1 or not isinstance(paging.after[0], int):
            raise BadRequest("unknown cursor; start again without one")
        before = paging.after[0]
    await service.link_pending(db)
    rows = await service.list_events(
        session, _scope(principal, settings), filters, before_seq=before, limit=paging.limit + 1
    )
    more = len(rows) > paging.limit
    shown = rows[: paging.limit]
    return Page[AuditEventRead](
        items=[AuditEventRead.model_validate(r) for r in shown],
        next_cursor=paging.codec.encode([shown[-1].seq]) if more and shown else None,
    )


@router.get("/verify", name="audit-verify", response_model=ChainVerification)
async def verify(
    session: ReadSession, principal: Auditor, settings: AppSettings, db: Db
) -> ChainVerification:
    await service.link_pending(db)
    report = await service.verify(session, _scope(principal, settings))
    return ChainVerification(
        ok=report.ok,
        checked=report.checked,
        head=report.head,
        first_bad_seq=report.first_bad_seq,
        scope=principal.region,
        in_scope=report.in_scope or 0,
        pending=report.pending,
        pending_since=report.pending_since,
    )
