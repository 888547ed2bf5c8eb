"""Visit endpoints (探访关爱) — the rules, who is due, recording visits — and turning discovery
hits into needs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.care import discoveries, export, visits
from app.care.filters import DueVisitFilter, VisitFilter
from app.care.http import (
    Exporter,
    ExportFormat,
    Operator,
    Reader,
    audit_export,
    file_response,
    file_responses,
)
from app.care.schemas import (
    DiscoveryNeedsIn,
    DiscoveryNeedsRead,
    DueVisit,
    VisitCreate,
    VisitRead,
    VisitRuleRead,
)
from app.core.concurrency import IfMatch, etag, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, PageParams, Paging
from app.security.dependencies import Pii, Writer, read_revealing

router = APIRouter()

DueVisitQuery = Annotated[DueVisitFilter, Query()]


@router.get("/visits/rules", name="visit-rules", response_model=list[VisitRuleRead])
async def visit_rules(principal: Reader) -> list[VisitRuleRead]:
    """The visit rules and their intervals."""
    return visits.rules()


@router.get(
    "/visits/due", name="visit-due", response_model=Page[DueVisit], responses=error_responses(400, 422)
)
async def due_visits(
    session: ReadSession,
    principal: Reader,
    paging: Paging,
    filters: DueVisitQuery,
) -> Page[DueVisit]:
    """People due a visit today (or within ``within_days``), earliest due first, each with the
    rule and the due date; overdue ones are flagged."""
    return await visits.due_list(session, principal, paging, filters)


@router.get(
    "/visits/due/export",
    name="visit-due-export",
    response_class=Response,
    responses=file_responses("People due a visit, masked"),
)
async def export_due_visits(
    request: Request,
    session: ReadSession,
    principal: Exporter,
    filters: DueVisitQuery,
    format: ExportFormat = "csv",
) -> Response:
    everything = PageParams(limit=1 << 30, after=None, count=False, codec=request.app.state.cursor_codec)
    page = await visits.due_list(session, principal, everything, filters)
    await audit_export(request, principal, "care_visit_due", format, len(page.items))
    header, rows = export.due_rows(page.items)
    return file_response(export.render(format, "due", header, rows), format, f"visits-due-{principal.region}")


@router.post(
    "/visits",
    name="visit-create",
    status_code=status.HTTP_201_CREATED,
    response_model=VisitRead,
    responses=error_responses(422),
)
async def create_visit(
    request: Request,
    data: VisitCreate,
    principal: Operator,
    uow: Writer,
    pii: Pii,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a visit; each entry of ``needs`` becomes a need (``source=visit``). The visit
    resets the person's due date."""

    async def create() -> tuple[int, VisitRead, dict[str, str]]:
        visit = await visits.create(uow, principal, pii, data)
        return 201, visit, {"ETag": etag(visit.version), "Location": f"/api/v1/visits/{visit.id}"}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get("/visits", name="visit-list", response_model=Page[VisitRead], responses=error_responses(400, 422))
async def list_visits(
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    paging: Paging,
    filters: Annotated[VisitFilter, Query()],
) -> Page[VisitRead]:
    return await visits.list_visits(session, principal, pii, paging, filters)


@router.get(
    "/visits/{visit_id}", name="visit-get", response_model=VisitRead, responses=error_responses(404, 422)
)
async def get_visit(
    request: Request,
    visit_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    response: Response,
    reveal: Annotated[bool, Query(description="Show the ID number in clear (audited)")] = False,
) -> VisitRead:
    visit = await read_revealing(
        request,
        principal,
        reveal,
        "care_visit",
        str(visit_id),
        lambda clear: visits.get(session, principal, pii, visit_id, reveal=clear),
    )
    set_etag(response, visit.version)
    return visit


@router.delete(
    "/visits/{visit_id}",
    name="visit-delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 409, 412, 428),
)
async def delete_visit(visit_id: uuid.UUID, principal: Operator, expected: IfMatch, uow: Writer) -> Response:
    """Delete a visit recorded in error (a tombstone); it no longer counts for the due date."""
    await visits.delete(uow, principal, visit_id, expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/discoveries/{rule}/needs",
    name="discovery-needs",
    response_model=DiscoveryNeedsRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": DiscoveryNeedsRead,
            "description": "Nothing new: every hit already has this month's need",
        },
        **error_responses(404, 422),
    },
)
async def needs_from_discoveries(
    rule: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,59}$", description="A discovery rule code")],
    principal: Operator,
    uow: Writer,
    pii: Pii,
    data: DiscoveryNeedsIn | None = None,
) -> JSONResponse:
    """Turn the rule's hits in scope into needs (``source=discovery``), one per person, rule
    and month: a repeat in the same month creates nothing new (200)."""
    code, report = await discoveries.create_needs(uow, principal, pii, rule, data or DiscoveryNeedsIn())
    return JSONResponse(report.model_dump(mode="json"), status_code=code)
