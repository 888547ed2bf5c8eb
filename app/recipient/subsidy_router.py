"""Disability-subsidy endpoints (两项补贴), under the household and member they belong to."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response, status

from app.core.concurrency import OptionalIfMatch, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.recipient import subsidies
from app.recipient.schemas import SubsidyCreate, SubsidyRead, SubsidyTransitionIn, TransitionRead
from app.security.dependencies import Writer, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1/recipients", tags=["recipients"], responses=error_responses(401, 403))

Reader = Annotated[Principal, require("recipient:read")]
Operator = Annotated[Principal, require("recipient:write")]
MEMBER = "/{household_id}/members/{member_id}/subsidies"


@router.post(
    MEMBER,
    name="subsidy-apply",
    status_code=status.HTTP_201_CREATED,
    response_model=SubsidyRead,
    responses=error_responses(404, 409, 422),
)
async def apply_subsidy(
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    data: SubsidyCreate,
    principal: Operator,
    uow: Writer,
    response: Response,
) -> SubsidyRead:
    """Apply for the living subsidy (a member with a disability in a dibao or dibao-edge
    household) or the nursing subsidy (disability grade 1–2); 422 says why a member is not
    eligible, 409 names an active subsidy of the same kind."""
    created = await subsidies.apply(uow, principal, household_id, member_id, data)
    set_etag(response, created.version)
    response.headers["Location"] = f"/api/v1/recipients/{household_id}/subsidies/{created.id}"
    return created


@router.get(
    MEMBER, name="subsidy-list-member", response_model=list[SubsidyRead], responses=error_responses(404)
)
async def member_subsidies(
    household_id: uuid.UUID, member_id: uuid.UUID, session: ReadSession, principal: Reader
) -> list[SubsidyRead]:
    return await subsidies.list_subsidies(session, principal, household_id, member_id)


@router.get(
    "/{household_id}/subsidies",
    name="subsidy-list",
    response_model=list[SubsidyRead],
    responses=error_responses(404),
)
async def household_subsidies(
    household_id: uuid.UUID, session: ReadSession, principal: Reader
) -> list[SubsidyRead]:
    return await subsidies.list_subsidies(session, principal, household_id)


@router.get(
    MEMBER + "/{subsidy_id}",
    name="subsidy-get-member",
    response_model=SubsidyRead,
    responses=error_responses(404),
)
async def get_member_subsidy(
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    subsidy_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
    response: Response,
) -> SubsidyRead:
    found = await subsidies.get(session, principal, household_id, subsidy_id, member_id=member_id)
    set_etag(response, found.version)
    return found


@router.post(
    MEMBER + "/{subsidy_id}/transitions",
    name="subsidy-transition-member",
    response_model=SubsidyRead,
    responses=error_responses(404, 409, 412, 422),
)
async def transition_member_subsidy(
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    subsidy_id: uuid.UUID,
    data: SubsidyTransitionIn,
    principal: Operator,
    uow: Writer,
    response: Response,
    expected: OptionalIfMatch,
) -> SubsidyRead:
    """The same moves, addressed under the member."""
    await subsidies.get(uow.session, principal, household_id, subsidy_id, member_id=member_id)
    moved = await subsidies.transition(uow, principal, household_id, subsidy_id, data, expected)
    set_etag(response, moved.version)
    return moved


@router.get(
    MEMBER + "/{subsidy_id}/history",
    name="subsidy-history-member",
    response_model=list[TransitionRead],
    responses=error_responses(404),
)
async def member_subsidy_history(
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    subsidy_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
) -> list[TransitionRead]:
    await subsidies.get(session, principal, household_id, subsidy_id, member_id=member_id)
    return await subsidies.history(session, principal, household_id, subsidy_id)


@router.get(
    "/{household_id}/subsidies/{subsidy_id}",
    name="subsidy-get",
    response_model=SubsidyRead,
    responses=error_responses(404),
)
async def get_subsidy(
    household_id: uuid.UUID,
    subsidy_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
    response: Response,
) -> SubsidyRead:
    found = await subsidies.get(session, principal, household_id, subsidy_id)
    set_etag(response, found.version)
    return found


@router.post(
    "/{household_id}/subsidies/{subsidy_id}/transitions",
    name="subsidy-transition",
    response_model=SubsidyRead,
    responses=error_responses(404, 409, 412, 422),
)
async def transition_subsidy(
    household_id: uuid.UUID,
    subsidy_id: uuid.UUID,
    data: SubsidyTransitionIn,
    principal: Operator,
    uow: Writer,
    response: Response,
    expected: OptionalIfMatch,
) -> SubsidyRead:
    """verify → approve → (suspend ⇄ resume) → exit, or reject; approval pays from its month."""
    moved = await subsidies.transition(uow, principal, household_id, subsidy_id, data, expected)
    set_etag(response, moved.version)
    return moved


@router.get(
    "/{household_id}/subsidies/{subsidy_id}/history",
    name="subsidy-history",
    response_model=list[TransitionRead],
    responses=error_responses(404),
)
async def subsidy_history(
    household_id: uuid.UUID, subsidy_id: uuid.UUID, session: ReadSession, principal: Reader
) -> list[TransitionRead]:
    return await subsidies.history(session, principal, household_id, subsidy_id)
