"""Payment endpoints: monthly runs, temporary-assistance grants, payments and their totals."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from app.core.concurrency import etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.recipient import grants, payment_views, payments
from app.recipient.filters import PaymentFilter, PaymentStatsFilter
from app.recipient.payment_schemas import (
    GrantCreate,
    PaymentRead,
    PaymentRunCreate,
    PaymentRunRead,
    PaymentSkipRead,
    PaymentStats,
)
from app.security.dependencies import Writer, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["recipients"], responses=error_responses(401, 403))

Reader = Annotated[Principal, require("recipient:read")]
Operator = Annotated[Principal, require("recipient:write")]


@router.post(
    "/payment-runs",
    name="payment-run-create",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentRunRead,
    responses=error_responses(409, 422),
)
async def create_payment_run(
    request: Request,
    data: PaymentRunCreate,
    principal: Operator,
    uow: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Pay every category for one region and month: dibao, tekun (basic living and care), and
    the approved disability subsidies. 422 for a month after the current local month; 409
    naming the existing run when the region and month have one."""

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


@router.get(
    "/payment-runs/{run_id}/skips",
    name="payment-run-skips",
    response_model=Page[PaymentSkipRead],
    responses=error_responses(400, 404, 422),
)
async def payment_run_skips(
    run_id: uuid.UUID, session: ReadSession, principal: Reader, paging: Paging
) -> Page[PaymentSkipRead]:
    """What the run did not pay, and why (reason codes: approved_later, death_review, died,
    not_eligible, no_standard, no_current_assessment, no_cash_benefit, one_off_only,
    already_paid, member_removed)."""
    return await payment_views.skips_of(session, principal, run_id, paging)


@router.get(
    "/payments",
    name="payment-list",
    response_model=Page[PaymentRead],
    responses=error_responses(400, 422),
)
async def list_payments(
    session: ReadSession,
    principal: Reader,
    paging: Paging,
    filters: Annotated[PaymentFilter, Query()],
) -> Page[PaymentRead]:
    return await payment_views.list_payments(session, principal, paging, filters)


@router.get(
    "/payments/stats", name="payment-stats", response_model=PaymentStats, responses=error_responses(422)
)
async def payment_stats(
    session: ReadSession,
    principal: Reader,
    filters: Annotated[PaymentStatsFilter, Query()],
) -> PaymentStats:
    """Payments counted and summed by month, kind and category (grants included)."""
    return await payment_views.stats(session, principal, filters)


@router.post(
    "/recipients/{household_id}/grants",
    name="recipient-grant",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentRead,
    responses=error_responses(404, 409, 422),
)
async def create_grant(
    request: Request,
    household_id: uuid.UUID,
    data: GrantCreate,
    principal: Operator,
    uow: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A temporary-assistance grant (临时救助), paid at once as a payment of its kind. Above the
    county's cap per grant (default 6 × the monthly dibao standard) it needs the admin role
    (403) and a reason (422)."""

    async def create() -> tuple[int, PaymentRead, dict[str, str]]:
        created = await grants.grant(uow, principal, household_id, data)
        return 201, created, {"Location": f"/api/v1/recipients/{household_id}/payments"}

    payload = {"household_id": str(household_id), **data.model_dump(mode="json")}
    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=payload, create=create
    )


@router.get(
    "/recipients/{household_id}/payments",
    name="recipient-payments",
    response_model=Page[PaymentRead],
    responses=error_responses(400, 404, 422),
)
async def household_payments(
    household_id: uuid.UUID, session: ReadSession, principal: Reader, paging: Paging
) -> Page[PaymentRead]:
    """Every payment to the household, monthly and grants, newest first, each with its kind."""
    return await payment_views.payments_of(session, principal, household_id, paging)
