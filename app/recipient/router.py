"""Recipient endpoints: households, workflow, eligibility, screening, import. Payments,
subsidies and deaths have routers of their own."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from app.core.clock import clock
from app.core.concurrency import IfMatch, OptionalIfMatch, etag, set_etag
from app.core.db import Db, ReadSession
from app.core.documents import DocumentResponse
from app.core.errors import error_responses, render_domain_error
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.core.validators import Day
from app.recipient import cases, documents, importer, screening, service
from app.recipient.exceptions import DuplicateRegistration
from app.recipient.filters import DiscoveryFilter, HouseholdFilter
from app.recipient.schemas import (
    Discovery,
    DuplicateCaseRead,
    DuplicateMember,
    EligibilityRead,
    HouseholdCreate,
    HouseholdRead,
    HouseholdUpdate,
    ImportReport,
    TransitionIn,
    TransitionRead,
)
from app.security.dependencies import Pii, Writer, actor_of, read_revealing, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["recipients"], responses=error_responses(401, 403))

Reader = Annotated[Principal, require("recipient:read")]
Operator = Annotated[Principal, require("recipient:write")]
Admin = Annotated[Principal, require("recipient:admin")]


async def on_duplicate(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler of :class:`DuplicateRegistration` (installed by ``create_app``): once
    the refused request has rolled back, store its case, if it has one, then answer 409."""
    assert isinstance(exc, DuplicateRegistration)
    if exc.case is not None and not await cases.save_detached(
        request.app.state.db.writer, exc.case, actor_of(request)
    ):
        exc = exc.without_case()
    return await render_domain_error(request, exc)


@router.post(
    "/recipients",
    name="recipient-create",
    status_code=status.HTTP_201_CREATED,
    response_model=HouseholdRead,
    responses=error_responses(409, 422),
)
async def create_household(
    request: Request,
    data: HouseholdCreate,
    principal: Operator,
    uow: Writer,
    pii: Pii,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, HouseholdRead, dict[str, str]]:
        created = await service.create(uow, principal, pii, data)
        return 201, created, {"ETag": etag(created.version), "Location": f"/api/v1/recipients/{created.id}"}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get(
    "/recipients",
    name="recipient-list",
    response_model=Page[HouseholdRead],
    responses=error_responses(400, 422),
)
async def list_households(
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    paging: Paging,
    filters: Annotated[HouseholdFilter, Query()],
) -> DocumentResponse:
    page = await documents.list_households(session, principal, pii, paging, filters)
    return DocumentResponse(page)


@router.get(
    "/recipients/duplicates",
    name="recipient-duplicates",
    response_model=Page[DuplicateMember],
    responses=error_responses(400, 422),
)
async def list_duplicates(session: ReadSession, principal: Admin, paging: Paging) -> Page[DuplicateMember]:
    return await screening.duplicates(session, principal, paging)


@router.get(
    "/recipients/duplicate-cases/{ref}",
    name="recipient-duplicate-case",
    response_model=DuplicateCaseRead,
    responses=error_responses(404, 422),
)
async def get_duplicate_case(
    request: Request,
    ref: Annotated[str, Path(pattern=r"^DUP(-[A-Z2-7]{4}){4}$", description="The reference a 409 gave")],
    session: ReadSession,
    principal: Admin,
) -> DuplicateCaseRead:
    """A registration refused as a duplicate of a person registered outside the caller's scope
    (the 409 named only this reference): which household holds the person, who asked, where.
    For an admin whose scope covers both regions; 404 for anyone else. Every read is audited."""
    case = await cases.lookup(session, principal, ref)
    await cases.audit_read(request.app.state.db.writer, actor_of(request, principal), case)
    return case


@router.get(
    "/recipients/discoveries",
    name="recipient-discoveries",
    response_model=Page[Discovery],
    responses=error_responses(400, 422),
)
async def list_discoveries(
    session: ReadSession, principal: Reader, paging: Paging, filters: Annotated[DiscoveryFilter, Query()]
) -> Page[Discovery]:
    return await screening.discoveries(session, principal, paging, filters)


@router.post(
    "/recipients/import",
    name="recipient-import",
    response_model=ImportReport,
    responses=error_responses(413, 415, 422),
)
async def import_households(
    principal: Operator,
    uow: Writer,
    pii: Pii,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX, one row per member")],
) -> ImportReport:
    return await importer.import_upload(uow, principal, pii, file)


@router.get(
    "/recipients/{household_id}",
    name="recipient-get",
    response_model=HouseholdRead,
    responses=error_responses(404, 422),
)
async def get_household(
    request: Request,
    household_id: uuid.UUID,
    db: Db,
    principal: Reader,
    pii: Pii,
    reveal: Annotated[bool, Query(description="Show ID and phone numbers in clear (audited)")] = False,
) -> DocumentResponse:
    household = await read_revealing(
        request,
        principal,
        reveal,
        "recipient_household",
        str(household_id),
        lambda clear: documents.get(db, principal, pii, household_id, reveal=clear),
    )
    return DocumentResponse(household, headers={"ETag": etag(household["version"])})


@router.patch(
    "/recipients/{household_id}",
    name="recipient-update",
    response_model=HouseholdRead,
    responses=error_responses(404, 409, 412, 422, 428),
)
async def update_household(
    household_id: uuid.UUID,
    principal: Operator,
    data: HouseholdUpdate,
    expected: IfMatch,
    uow: Writer,
    pii: Pii,
    response: Response,
) -> HouseholdRead:
    household = await service.update(uow, principal, pii, household_id, data, expected)
    set_etag(response, household.version)
    return household


@router.delete(
    "/recipients/{household_id}",
    name="recipient-delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 409, 412, 428),
)
async def delete_household(
    household_id: uuid.UUID, principal: Operator, expected: IfMatch, uow: Writer
) -> Response:
    await service.delete(uow, principal, household_id, expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/recipients/{household_id}/transitions",
    name="recipient-transition",
    response_model=HouseholdRead,
    responses=error_responses(404, 409, 412, 422),
)
async def transition_household(
    household_id: uuid.UUID,
    data: TransitionIn,
    principal: Operator,
    uow: Writer,
    pii: Pii,
    response: Response,
    expected: OptionalIfMatch,
) -> HouseholdRead:
    household = await service.transition(uow, principal, pii, household_id, data, expected)
    set_etag(response, household.version)
    return household


@router.get(
    "/recipients/{household_id}/history",
    name="recipient-history",
    response_model=list[TransitionRead],
    responses=error_responses(404, 422),
)
async def household_history(
    household_id: uuid.UUID, session: ReadSession, principal: Reader
) -> list[TransitionRead]:
    return await documents.history(session, principal, household_id)


@router.get(
    "/recipients/{household_id}/eligibility",
    name="recipient-eligibility",
    response_model=EligibilityRead,
    responses=error_responses(404, 422),
)
async def household_eligibility(
    household_id: uuid.UUID, session: ReadSession, principal: Reader, on: Day | None = None
) -> EligibilityRead:
    return await service.eligibility_of(session, principal, household_id, on or clock.today())
