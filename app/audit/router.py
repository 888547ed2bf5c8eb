"""Audit endpoints (auditor and admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditEventRead, ChainVerification
from app.core.db import ReadSession
from app.core.errors import BadRequest, error_responses
from app.core.pagination import Page, Paging
from app.security.dependencies import require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=error_responses(401, 403))
Auditor = Annotated[Principal, require("audit:read")]


@router.get(
    "/events", name="audit-list", response_model=Page[AuditEventRead], responses=error_responses(400, 422)
)
async def list_events(
    session: ReadSession,
    _principal: Auditor,
    paging: Paging,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100, description="Exact, or a prefix ending in *")] = None,
    resource_type: Annotated[str | None, Query(max_length=60)] = None,
    resource_id: Annotated[str | None, Query(max_length=100)] = None,
    outcome: Literal["ok", "denied", "error"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEventRead]:
    before = None
    if paging.after is not None:
        if len(paging.after) != 1 or not isinstance(paging.after[0], int):
            raise BadRequest("unknown cursor; start again without one")
        before = paging.after[0]
    rows = await service.list_events(
        session,
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        since=since,
        until=until,
        outcome=outcome,
        before_seq=before,
        limit=paging.limit + 1,
    )
    more = len(rows) > paging.limit
    shown = rows[: paging.limit]
    return Page[AuditEventRead](
        items=[AuditEventRead.model_validate(r) for r in shown],
        next_cursor=paging.codec.encode([shown[-1].seq]) if more and shown else None,
    )


@router.get("/verify", name="audit-verify", response_model=ChainVerification)
async def verify(session: ReadSession, _principal: Auditor) -> ChainVerification:
    report = await service.verify(session)
    return ChainVerification(
        ok=report.ok, checked=report.checked, head=report.head, first_bad_seq=report.first_bad_seq
    )
