"""Assessment endpoints: record, list, read, amend, statistics, scoring tables."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.assessment import service, standards, statistics
from app.assessment.schemas import (
    AmendmentCreate,
    AssessmentCreate,
    AssessmentFilter,
    AssessmentRead,
    AssessmentStats,
    ScoringStandardRead,
)
from app.core.clock import clock
from app.core.concurrency import OptionalIfMatch, etag, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.core.params import RegionQuery
from app.core.validators import Day, IdNumber, normalize_region_code
from app.security.dependencies import Pii, Writer, read_revealing, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["assessments"], responses=error_responses(401, 403))

Reader = Annotated[Principal, require("assessment:read")]
Operator = Annotated[Principal, require("assessment:write")]


IdNumberPath = Annotated[IdNumber, Path(description="Resident ID number (shown in clear: audited)")]


def _region(value: str | None) -> str | None:
    return normalize_region_code(value) if value else None


def _location(read: AssessmentRead) -> dict[str, str]:
    return {"ETag": etag(read.version), "Location": f"/api/v1/assessments/{read.id}"}


@router.post(
    "/assessments",
    name="assessment-create",
    status_code=status.HTTP_201_CREATED,
    response_model=AssessmentRead,
    responses=error_responses(422),
)
async def create_assessment(
    request: Request,
    data: AssessmentCreate,
    principal: Operator,
    uow: Writer,
    pii: Pii,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, AssessmentRead, dict[str, str]]:
        created = await service.create(uow, principal, pii, data)
        return 201, created, _location(created)

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get(
    "/assessments",
    name="assessment-list",
    response_model=Page[AssessmentRead],
    responses=error_responses(400, 422),
)
async def list_assessments(
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    paging: Paging,
    filters: Annotated[AssessmentFilter, Query()],
) -> Page[AssessmentRead]:
    return await service.list_assessments(session, principal, pii, paging, filters)


@router.get(
    "/assessments/stats",
    name="assessment-stats",
    response_model=AssessmentStats,
    responses=error_responses(404, 422),
)
async def assessment_stats(
    session: ReadSession,
    principal: Reader,
    region_code: RegionQuery = None,
    as_of: Annotated[Day | None, Query(description="Count latest assessments up to this day")] = None,
) -> AssessmentStats:
    return await statistics.level_stats(session, principal, _region(region_code), as_of or clock.today())


@router.get(
    "/assessments/standards",
    name="assessment-standards",
    response_model=list[ScoringStandardRead],
)
async def assessment_standards(
    principal: Reader,
    code: Annotated[
        str | None, Query(max_length=30, description="One standard, e.g. GB/T 42195-2022")
    ] = None,
) -> list[ScoringStandardRead]:
    return standards.describe_all(code)


@router.get(
    "/assessments/{assessment_id}",
    name="assessment-get",
    response_model=AssessmentRead,
    responses=error_responses(404, 422),
)
async def get_assessment(
    request: Request,
    assessment_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    response: Response,
    reveal: Annotated[bool, Query(description="Show the ID number in clear (audited)")] = False,
) -> AssessmentRead:
    found = await read_revealing(
        request,
        principal,
        reveal,
        "assessment",
        str(assessment_id),
        lambda clear: service.get(session, principal, pii, assessment_id, reveal=clear),
    )
    set_etag(response, found.version)
    return found


@router.post(
    "/assessments/{assessment_id}/amendments",
    name="assessment-amend",
    status_code=status.HTTP_201_CREATED,
    response_model=AssessmentRead,
    responses=error_responses(404, 409, 412, 422),
)
async def amend_assessment(
    request: Request,
    assessment_id: uuid.UUID,
    data: AmendmentCreate,
    principal: Operator,
    uow: Writer,
    pii: Pii,
    expected: OptionalIfMatch,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a correction as a new, newly scored assessment; the original stays, marked
    `superseded_by`. `If-Match` (the original's ETag) is optional; a stale one is 412."""

    async def create() -> tuple[int, AssessmentRead, dict[str, str]]:
        amended = await service.amend(uow, principal, pii, assessment_id, data, expected)
        return 201, amended, _location(amended)

    return await respond_once(
        request,
        uow.session,
        principal=principal.sub,
        key=idempotency_key,
        payload={"amends": str(assessment_id), **data.model_dump(mode="json")},
        create=create,
    )
