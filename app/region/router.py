"""Region endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.core.concurrency import IfMatch, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.pagination import Page, Paging
from app.core.params import RegionPath
from app.core.validators import normalize_region_code
from app.region import service
from app.region.schemas import RegionCreate, RegionDetail, RegionListFilter, RegionRead, RegionUpdate
from app.security.dependencies import Writer, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1/regions", tags=["regions"], responses=error_responses(401, 403))

CodePath = RegionPath
Reader = Annotated[Principal, require("region:read")]
Admin = Annotated[Principal, require("region:write")]


@router.get("", name="region-list", response_model=Page[RegionRead], responses=error_responses(400, 422))
async def list_regions(
    session: ReadSession, principal: Reader, paging: Paging, filters: Annotated[RegionListFilter, Query()]
) -> Page[RegionRead]:
    return await service.list_regions(session, principal, paging, filters)


@router.get("/{code}", name="region-get", response_model=RegionDetail, responses=error_responses(404, 422))
async def get_region(
    code: CodePath, session: ReadSession, principal: Reader, response: Response
) -> RegionDetail:
    detail = await service.get(session, principal, normalize_region_code(code))
    set_etag(response, detail.version)
    return detail


@router.post(
    "",
    name="region-create",
    status_code=status.HTTP_201_CREATED,
    response_model=RegionRead,
    responses=error_responses(409, 422),
)
async def create_region(data: RegionCreate, uow: Writer, principal: Admin, response: Response) -> RegionRead:
    region = await service.create(uow, principal, data)
    set_etag(response, region.version)
    return region


@router.patch(
    "/{code}",
    name="region-update",
    response_model=RegionRead,
    responses=error_responses(404, 409, 412, 422, 428),
)
async def update_region(
    code: CodePath, principal: Admin, data: RegionUpdate, expected: IfMatch, uow: Writer, response: Response
) -> RegionRead:
    region = await service.update(uow, principal, normalize_region_code(code), data, expected)
    set_etag(response, region.version)
    return region
