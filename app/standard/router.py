"""Policy-standard endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.core.concurrency import set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.pagination import Page, Paging
from app.core.validators import REGION_PATTERN, normalize_region_code
from app.security.dependencies import Writer, require
from app.security.principal import Principal
from app.standard import service
from app.standard.schemas import StandardCreate, StandardKind, StandardRead

router = APIRouter(prefix="/api/v1/standards", tags=["standards"], responses=error_responses(401, 403))


@router.get("", name="standard-list", response_model=Page[StandardRead], responses=error_responses(400, 422))
async def list_standards(
    session: ReadSession,
    principal: Annotated[Principal, require("standard:read")],
    paging: Paging,
    kind: StandardKind | None = None,
    region_code: Annotated[str | None, Query(pattern=REGION_PATTERN)] = None,
) -> Page[StandardRead]:
    return await service.list_standards(
        session,
        principal,
        paging,
        kind=kind,
        region_code=normalize_region_code(region_code) if region_code else None,
    )


@router.post(
    "",
    name="standard-create",
    status_code=status.HTTP_201_CREATED,
    response_model=StandardRead,
    responses=error_responses(409, 422),
)
async def create_standard(
    data: StandardCreate,
    principal: Annotated[Principal, require("standard:write")],
    uow: Writer,
    response: Response,
) -> StandardRead:
    created = await service.create(uow, principal, data)
    set_etag(response, created.version)
    return created
