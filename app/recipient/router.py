"""Recipient endpoints: households, workflow, eligibility, payments, screening, import."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from app.core.concurrency import IfMatch, OptionalIfMatch, etag, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.core.validators import Day, normalize_region_code
from app.recipient import importer, payments, screening, service
from app.recipient.schemas import (
    Category,
    Discovery,
    DuplicateMember,
    EligibilityRead,
    HouseholdCreate,
    HouseholdRead,
    HouseholdUpdate,
    ImportReport,
    PaymentRead,
    PaymentRunCreate,
    PaymentRunRead,
    StatusName,
    TransitionIn,
    TransitionRead,
)
from app.security.dependencies import Pii, Writer, read_revealing, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["recipients"], responses=error_responses(401, 403))

Reader = Annotated[Principal, require("recipient:read")]
Operator = Annotated[Principal, require("recipient:write")]
Admin = Annotated[Principal, require("recipient:admin")]
RegionQuery = Annotated[
    str | None, Query(pattern=r"^\d{6}(\d{6})?$", description="Region prefix (6 or 12 digits)")
]


def _region(value: str | None) -> str | None:
    return normalize_region_code(value) if value else None


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
    region_code: RegionQuery = None,
    category: Category | None = None,
    status_: Annotated[StatusName | None, Query(alias="status")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=50, description="Member name contains")] = None,
    id_number: Annotated[str | None, Query(pattern=r"^\d{17}[\dXx]$", description="Exact ID number")] = None,
) -> Page[HouseholdRead]:
    return await service.list_households(
        session,
        principal,
        pii,
        paging,
        region_code=_region(region_code),
        category=category,
        status=status_,
        q=q,
        id_number=id_number.upper() if id_number else None,
    )


@router.get(
    "/recipients/duplicates",
    name="recipient-duplicates",
    response_model=Page[DuplicateMember],
    responses=error_responses(400, 422),
)
async def list_duplicates(session: ReadSession, principal: Admin, paging: Paging) -> Page[DuplicateMember]:
    return await screening.duplicates(session, principal, paging)


@router.get(
    "/recipients/discoveries",
    name="recipient-discoveries",
    response_model=Page[Discovery],
    responses=error_responses(400, 422),
)
async def list_discoveries(
    session: ReadSession,
    principal: Reader,
    paging: Paging,
    rule: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z][a-z0-9_]{0,59}$",
            description="A rule code: the built-in disability_living_subsidy_missing, "
            "disability_nursing_subsidy_missing, elderly_care_missing, elderly_assessment_missing, "
            "or one registered by another domain (visit_overdue); unknown codes are 422.",
        ),
    ] = None,
    region_code: RegionQuery = None,
) -> Page[Discovery]:
    return await screening.discoveries(
        session, principal, paging, rule=rule, region_code=_region(region_code)
    )


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
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    response: Response,
    reveal: Annotated[bool, Query(description="Show ID and phone numbers in clear (audited)")] = False,
) -> HouseholdRead:
    household = await read_revealing(
        request,
        principal,
        reveal,
        "recipient_household",
        str(household_id),
        lambda clear: service.get(session, principal, pii, household_id, reveal=clear),
    )
    set_etag(response, household.version)
    return household


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
    return await service.history(session, principal, household_id)


@router.get(
    "/recipients/{household_id}/eligibility",
    name="recipient-eligibility",
    response_model=EligibilityRead,
    responses=error_responses(404, 422),
)
async def household_eligibility(
    household_id: uuid.UUID, session: ReadSession, principal: Reader, on: Day | None = None
) -> EligibilityRead:
    return await service.eligibility_of(session, principal, household_id, on or date.today())


@router.get(
    "/recipients/{household_id}/payments",
    name="recipient-payments",
    response_model=Page[PaymentRead],
    responses=error_responses(400, 404, 422),
)
async def household_payments(
    household_id: uuid.UUID, session: ReadSession, principal: Reader, paging: Paging
) -> Page[PaymentRead]:
    return await payments.payments_of(session, principal, household_id, paging)


@router.post(
    "/payment-runs",
    name="payment-run-create",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentRunRead,
    responses=error_responses(422),
)
async def create_payment_run(
    request: Request,
    data: PaymentRunCreate,
    principal: Operator,
    uow: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, PaymentRunRead, dict[str, str]]:
        run = await payments.create_run(uow, principal, data)
        return 201, run, {"ETag": etag(run.version), "Location": f"/api/v1/payment-runs/{run.id}"}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get(
    "/payment-runs/{run_id}",
    name="payment-run-get",
    response_model=PaymentRunRead,
    responses=error_responses(404, 422),
)
async def get_payment_run(run_id: uuid.UUID, session: ReadSession, principal: Reader) -> PaymentRunRead:
    return await payments.get_run(session, principal, run_id)
