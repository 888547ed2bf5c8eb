"""Care endpoints: needs, matches and referrals; with the resource and visit endpoints of
``resource_router`` and ``visit_router``, one router for the app to include."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.care import export, matching, needs, referrals
from app.care.filters import NeedFilter, ReferralFilter
from app.care.http import (
    Exporter,
    ExportFormat,
    Operator,
    Reader,
    audit_export,
    file_response,
    file_responses,
)
from app.care.resource_router import router as resource_router
from app.care.schemas import (
    MatchRead,
    NeedCreate,
    NeedRead,
    NeedTransitionIn,
    NeedUpdate,
    ReferralCreate,
    ReferralEventRead,
    ReferralRead,
    ReferralTransitionIn,
    Term,
    Vocabulary,
)
from app.care.taxonomy import NEED_TYPES, VOCABULARIES
from app.care.visit_router import router as visit_router
from app.core.concurrency import IfMatch, OptionalIfMatch, etag, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.security.dependencies import Pii, Writer, read_revealing

router = APIRouter(prefix="/api/v1", tags=["care"], responses=error_responses(401, 403))


async def need_filters(filters: Annotated[NeedFilter, Query()]) -> NeedFilter:
    """The need filters, shared by the list and its export; as a dependency, so that the schema
    lists them after the paging parameters, as it always has."""
    return filters


NeedQuery = Annotated[NeedFilter, Depends(need_filters)]


def _need_headers(need: NeedRead) -> dict[str, str]:
    return {"ETag": etag(need.version), "Location": f"/api/v1/needs/{need.id}"}


# --- vocabularies -----------------------------------------------------------------------------


@router.get("/needs/types", name="need-types", response_model=Page[Term])
async def need_types(principal: Reader) -> Page[Term]:
    """The need types with their Chinese labels (助医, 助学, 照护 …)."""
    return Page[Term](items=[Term(code=c, label=label) for c, label in NEED_TYPES.items()])


@router.get("/care/vocabularies", name="care-vocabularies", response_model=list[Vocabulary])
async def vocabularies(principal: Reader) -> list[Vocabulary]:
    """Every fixed vocabulary of the care loop, each value with its Chinese label."""
    return [
        Vocabulary(name=name, items=[Term(code=c, label=label) for c, label in terms.items()])
        for name, terms in VOCABULARIES.items()
    ]


# --- needs ------------------------------------------------------------------------------------


@router.post(
    "/needs",
    name="need-create",
    status_code=status.HTTP_201_CREATED,
    response_model=NeedRead,
    responses=error_responses(422),
)
async def create_need(
    request: Request,
    data: NeedCreate,
    principal: Operator,
    uow: Writer,
    pii: Pii,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, NeedRead, dict[str, str]]:
        need = await needs.create(uow, principal, pii, data)
        return 201, need, _need_headers(need)

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get("/needs", name="need-list", response_model=Page[NeedRead], responses=error_responses(400, 422))
async def list_needs(
    session: ReadSession, principal: Reader, pii: Pii, paging: Paging, filters: NeedQuery
) -> Page[NeedRead]:
    return await needs.list_needs(session, principal, pii, paging, filters)


@router.get(
    "/needs/export",
    name="need-export",
    response_class=Response,
    responses=file_responses("The needs in scope, masked"),
)
async def export_needs(
    request: Request,
    session: ReadSession,
    principal: Exporter,
    pii: Pii,
    filters: NeedQuery,
    format: ExportFormat = "csv",
) -> Response:
    items = await needs.everything(session, principal, pii, filters)
    await audit_export(request, principal, "care_need", format, len(items))
    header, rows = export.need_rows(items)
    return file_response(export.render(format, "needs", header, rows), format, f"needs-{principal.region}")


@router.get("/needs/{need_id}", name="need-get", response_model=NeedRead, responses=error_responses(404, 422))
async def get_need(
    request: Request,
    need_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
    pii: Pii,
    response: Response,
    reveal: Annotated[bool, Query(description="Show the ID number in clear (audited)")] = False,
) -> NeedRead:
    need = await read_revealing(
        request,
        principal,
        reveal,
        "care_need",
        str(need_id),
        lambda clear: needs.get(session, principal, pii, need_id, reveal=clear),
    )
    set_etag(response, need.version)
    return need


@router.patch(
    "/needs/{need_id}",
    name="need-update",
    response_model=NeedRead,
    responses=error_responses(404, 409, 412, 422, 428),
)
async def update_need(
    need_id: uuid.UUID,
    data: NeedUpdate,
    principal: Operator,
    expected: IfMatch,
    uow: Writer,
    pii: Pii,
    response: Response,
) -> NeedRead:
    need = await needs.update(uow, principal, pii, need_id, data, expected)
    set_etag(response, need.version)
    return need


@router.post(
    "/needs/{need_id}/transitions",
    name="need-transition",
    response_model=NeedRead,
    responses=error_responses(404, 409, 412, 422),
)
async def transition_need(
    need_id: uuid.UUID,
    data: NeedTransitionIn,
    principal: Operator,
    uow: Writer,
    pii: Pii,
    response: Response,
    expected: OptionalIfMatch,
) -> NeedRead:
    need = await needs.transition(uow, principal, pii, need_id, data, expected)
    set_etag(response, need.version)
    return need


@router.get(
    "/needs/{need_id}/matches",
    name="need-matches",
    response_model=Page[MatchRead],
    responses=error_responses(400, 404, 422),
)
async def need_matches(
    need_id: uuid.UUID, session: ReadSession, principal: Reader, paging: Paging
) -> Page[MatchRead]:
    """Resources that fit the need, nearest first, each with why it qualifies."""
    return await matching.matches(session, principal, need_id, paging)


# --- referrals --------------------------------------------------------------------------------


@router.post(
    "/referrals",
    name="referral-create",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralRead,
    responses=error_responses(404, 409, 422),
)
async def create_referral(
    request: Request,
    data: ReferralCreate,
    principal: Operator,
    uow: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, ReferralRead, dict[str, str]]:
        referral = await referrals.create(uow, principal, data)
        return 201, referral, {"ETag": etag(referral.version), "Location": f"/api/v1/referrals/{referral.id}"}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get(
    "/referrals", name="referral-list", response_model=Page[ReferralRead], responses=error_responses(400, 422)
)
async def list_referrals(
    session: ReadSession,
    principal: Reader,
    paging: Paging,
    filters: Annotated[ReferralFilter, Query()],
) -> Page[ReferralRead]:
    return await referrals.list_referrals(session, principal, paging, filters)


@router.get(
    "/referrals/{referral_id}",
    name="referral-get",
    response_model=ReferralRead,
    responses=error_responses(404, 422),
)
async def get_referral(
    referral_id: uuid.UUID, session: ReadSession, principal: Reader, response: Response
) -> ReferralRead:
    referral = await referrals.get(session, principal, referral_id)
    set_etag(response, referral.version)
    return referral


@router.post(
    "/referrals/{referral_id}/transitions",
    name="referral-transition",
    response_model=ReferralRead,
    responses=error_responses(404, 409, 412, 422),
)
async def transition_referral(
    referral_id: uuid.UUID,
    data: ReferralTransitionIn,
    principal: Operator,
    uow: Writer,
    response: Response,
    expected: OptionalIfMatch,
) -> ReferralRead:
    referral = await referrals.transition(uow, principal, referral_id, data, expected)
    set_etag(response, referral.version)
    return referral


@router.get(
    "/referrals/{referral_id}/history",
    name="referral-history",
    response_model=list[ReferralEventRead],
    responses=error_responses(404, 422),
)
async def referral_history(
    referral_id: uuid.UUID, session: ReadSession, principal: Reader
) -> list[ReferralEventRead]:
    return await referrals.history(session, principal, referral_id)


router.include_router(resource_router)
router.include_router(visit_router)
