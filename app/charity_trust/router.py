"""Charity-trust endpoints: filings, changes, annual reports, termination, disclosure, statistics."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.charity_trust import disclosure, history, service, stats
from app.charity_trust.figures import TrustStats
from app.charity_trust.filters import TrustFilter
from app.charity_trust.published import CharityTrustPublic
from app.charity_trust.schemas import (
    AnnualReportIn,
    AnnualReportRead,
    ChangeIn,
    ChangeRead,
    CharityTrustCreate,
    CharityTrustRead,
    CharityTrustUpdate,
    FilingIn,
    TerminationIn,
)
from app.core.clock import clock
from app.core.concurrency import IfMatch, OptionalIfMatch, etag, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.core.params import RegionQuery
from app.core.validators import normalize_region_code
from app.security.dependencies import Pii, Writer, read_revealing, require
from app.security.principal import Principal

router = APIRouter(
    prefix="/api/v1/charity-trusts", tags=["charity-trusts"], responses=error_responses(401, 403)
)

Reader = Annotated[Principal, require("charity_trust:read")]
Operator = Annotated[Principal, require("charity_trust:write")]


def _trust_response(response: Response, trust: CharityTrustRead) -> CharityTrustRead:
    set_etag(response, trust.version)
    return trust


@router.post(
    "",
    name="charity-trust-create",
    status_code=status.HTTP_201_CREATED,
    response_model=CharityTrustRead,
    responses=error_responses(422),
)
async def create_trust(
    request: Request,
    data: CharityTrustCreate,
    principal: Operator,
    uow: Writer,
    pii: Pii,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, CharityTrustRead, dict[str, str]]:
        created = await service.create(uow, principal, pii, data)
        location = f"/api/v1/charity-trusts/{created.id}"
        return 201, created, {"ETag": etag(created.version), "Location": location}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get(
    "",
    name="charity-trust-list",
    response_model=Page[CharityTrustRead],
    responses=error_responses(400, 422),
)
async def list_trusts(
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    paging: Paging,
    filters: Annotated[TrustFilter, Query()],
) -> Page[CharityTrustRead]:
    return await service.list_trusts(session, principal, pii, paging, filters)


@router.get(
    "/stats",
    name="charity-trust-stats",
    response_model=TrustStats,
    responses=error_responses(404, 422),
)
async def trust_stats(
    session: ReadSession,
    principal: Reader,
    region_code: RegionQuery = None,
    year: Annotated[int | None, Query(ge=1900, le=2999, description="Defaults to the current year")] = None,
) -> TrustStats:
    code = normalize_region_code(region_code) if region_code else None
    return await stats.stats(session, principal, code, year, clock.today())


@router.get(
    "/{trust_id}",
    name="charity-trust-get",
    response_model=CharityTrustRead,
    responses=error_responses(404, 422),
)
async def get_trust(
    request: Request,
    trust_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    response: Response,
    reveal: Annotated[bool, Query(description="Show trustors' phone numbers in clear (audited)")] = False,
) -> CharityTrustRead:
    trust = await read_revealing(
        request,
        principal,
        reveal,
        "charity_trust",
        str(trust_id),
        lambda clear: service.get(session, principal, pii, trust_id, reveal=clear),
    )
    return _trust_response(response, trust)


@router.patch(
    "/{trust_id}",
    name="charity-trust-update",
    response_model=CharityTrustRead,
    responses=error_responses(404, 409, 412, 422, 428),
)
async def update_trust(
    trust_id: uuid.UUID,
    data: CharityTrustUpdate,
    principal: Operator,
    expected: IfMatch,
    uow: Writer,
    pii: Pii,
    response: Response,
) -> CharityTrustRead:
    trust = await service.update(uow, principal, pii, trust_id, data, expected)
    return _trust_response(response, trust)


@router.post(
    "/{trust_id}/filing",
    name="charity-trust-file",
    response_model=CharityTrustRead,
    responses=error_responses(404, 409, 412, 422),
)
async def file_trust(
    trust_id: uuid.UUID,
    data: FilingIn,
    principal: Operator,
    expected: OptionalIfMatch,
    uow: Writer,
    pii: Pii,
    response: Response,
) -> CharityTrustRead:
    trust = await service.file(uow, principal, pii, trust_id, data, expected)
    return _trust_response(response, trust)


@router.post(
    "/{trust_id}/changes",
    name="charity-trust-change-create",
    status_code=status.HTTP_201_CREATED,
    response_model=ChangeRead,
    responses=error_responses(404, 409, 412, 422),
)
async def create_change(
    request: Request,
    trust_id: uuid.UUID,
    data: ChangeIn,
    principal: Operator,
    expected: OptionalIfMatch,
    uow: Writer,
    pii: Pii,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, ChangeRead, dict[str, str]]:
        change = await history.add_change(uow, principal, pii, trust_id, data, expected)
        return 201, change, {}

    return await respond_once(
        request,
        uow.session,
        principal=principal.sub,
        key=idempotency_key,
        payload={"trust_id": str(trust_id), "body": data},
        create=create,
    )


@router.get(
    "/{trust_id}/changes",
    name="charity-trust-change-list",
    response_model=Page[ChangeRead],
    responses=error_responses(400, 404, 422),
)
async def list_changes(
    trust_id: uuid.UUID, session: ReadSession, principal: Reader, paging: Paging
) -> Page[ChangeRead]:
    return await history.list_changes(session, principal, trust_id, paging)


@router.post(
    "/{trust_id}/annual-reports",
    name="charity-trust-report-create",
    status_code=status.HTTP_201_CREATED,
    response_model=AnnualReportRead,
    responses=error_responses(404, 409, 422),
)
async def create_report(
    request: Request,
    trust_id: uuid.UUID,
    data: AnnualReportIn,
    principal: Operator,
    uow: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, AnnualReportRead, dict[str, str]]:
        report = await history.add_report(uow, principal, trust_id, data)
        return 201, report, {}

    return await respond_once(
        request,
        uow.session,
        principal=principal.sub,
        key=idempotency_key,
        payload={"trust_id": str(trust_id), "body": data},
        create=create,
    )


@router.get(
    "/{trust_id}/annual-reports",
    name="charity-trust-report-list",
    response_model=Page[AnnualReportRead],
    responses=error_responses(400, 404, 422),
)
async def list_reports(
    trust_id: uuid.UUID, session: ReadSession, principal: Reader, paging: Paging
) -> Page[AnnualReportRead]:
    return await history.list_reports(session, principal, trust_id, paging)


@router.post(
    "/{trust_id}/termination",
    name="charity-trust-terminate",
    response_model=CharityTrustRead,
    responses=error_responses(404, 409, 412, 422),
)
async def terminate_trust(
    trust_id: uuid.UUID,
    data: TerminationIn,
    principal: Operator,
    expected: OptionalIfMatch,
    uow: Writer,
    pii: Pii,
    response: Response,
) -> CharityTrustRead:
    trust = await service.terminate(uow, principal, pii, trust_id, data, expected)
    return _trust_response(response, trust)


@router.get(
    "/{trust_id}/public",
    name="charity-trust-public",
    response_model=CharityTrustPublic,
    responses=error_responses(404, 409, 422),
)
async def public_trust(trust_id: uuid.UUID, session: ReadSession, principal: Reader) -> CharityTrustPublic:
    return await disclosure.public(session, principal, trust_id)
