"""Death-record endpoints: record one, import a file, list, read, withdraw."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from app.core.concurrency import IfMatch, etag, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.recipient import death_import, deaths
from app.recipient.filters import DeathFilter
from app.recipient.schemas import DeathCreate, DeathImportReport, DeathRead
from app.security.dependencies import Pii, Writer, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1/deaths", tags=["recipients"], responses=error_responses(401, 403))

Reader = Annotated[Principal, require("recipient:read")]
Operator = Annotated[Principal, require("recipient:write")]


@router.post(
    "",
    name="death-create",
    status_code=status.HTTP_201_CREATED,
    response_model=DeathRead,
    responses=error_responses(409, 422),
)
async def record_death(
    request: Request,
    data: DeathCreate,
    principal: Operator,
    uow: Writer,
    pii: Pii,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a death (ID number, date of death, source). Payments stop after the month of
    death; a household whose head or only member died is flagged for review. ``matches`` lists
    the members of active households in your scope with this ID number."""

    async def create() -> tuple[int, DeathRead, dict[str, str]]:
        created = await deaths.record(uow, principal, pii, data)
        return 201, created, {"ETag": etag(created.version), "Location": f"/api/v1/deaths/{created.id}"}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.post(
    "/import", name="death-import", response_model=DeathImportReport, responses=error_responses(415, 422)
)
async def import_deaths(
    principal: Operator,
    uow: Writer,
    pii: Pii,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX: id_number, died_on, source[, note]")],
) -> DeathImportReport:
    """Good rows are kept; each rejected row is reported with its line and reason."""
    return await death_import.import_upload(uow, principal, pii, file)


@router.get("", name="death-list", response_model=Page[DeathRead], responses=error_responses(400, 422))
async def list_deaths(
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    paging: Paging,
    filters: Annotated[DeathFilter, Query()],
) -> Page[DeathRead]:
    return await deaths.list_deaths(session, principal, pii, paging, filters)


@router.get("/{death_id}", name="death-get", response_model=DeathRead, responses=error_responses(404))
async def get_death(
    death_id: uuid.UUID, session: ReadSession, principal: Reader, pii: Pii, response: Response
) -> DeathRead:
    found = await deaths.get(session, principal, pii, death_id)
    set_etag(response, found.version)
    return found


@router.delete(
    "/{death_id}",
    name="death-delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 412, 428),
)
async def delete_death(death_id: uuid.UUID, principal: Operator, expected: IfMatch, uow: Writer) -> Response:
    """Withdraw a mistaken notice; the next runs pay the person again."""
    await deaths.delete(uow, principal, death_id, expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
