"""Address endpoints: the register, parsing and matching, bulk import, plate images."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from app.address import importer, plate, service
from app.address.filters import AddressFilter
from app.address.schemas import (
    AddressCreate,
    AddressImportReport,
    AddressRead,
    AddressUpdate,
    MatchBatchIn,
    MatchBatchResult,
    MatchIn,
    MatchResult,
    ParseIn,
    ParseResult,
    RetireIn,
)
from app.core.concurrency import IfMatch, OptionalIfMatch, etag, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.security.dependencies import AppSettings, Writer, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1/addresses", tags=["addresses"], responses=error_responses(401, 403))

Reader = Annotated[Principal, require("address:read")]
Operator = Annotated[Principal, require("address:write")]


@router.post(
    "",
    name="address-create",
    status_code=status.HTTP_201_CREATED,
    response_model=AddressRead,
    responses=error_responses(409, 422),
)
async def create_address(
    request: Request,
    data: AddressCreate,
    principal: Operator,
    uow: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, AddressRead, dict[str, str]]:
        created = await service.create(uow, principal, data)
        return 201, created, {"ETag": etag(created.version), "Location": f"/api/v1/addresses/{created.id}"}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get("", name="address-list", response_model=Page[AddressRead], responses=error_responses(400, 422))
async def list_addresses(
    session: ReadSession, principal: Reader, paging: Paging, filters: Annotated[AddressFilter, Query()]
) -> Page[AddressRead]:
    return await service.list_addresses(session, principal, paging, filters)


@router.post("/parse", name="address-parse", response_model=ParseResult, responses=error_responses(422))
async def parse_address(
    data: ParseIn, session: ReadSession, principal: Reader, settings: AppSettings
) -> ParseResult:
    return await service.parse_text(session, settings.node_region, data.text)


@router.post("/match", name="address-match", response_model=MatchResult, responses=error_responses(422))
async def match_address(
    data: MatchIn, session: ReadSession, principal: Reader, settings: AppSettings
) -> MatchResult:
    results = await service.match(session, principal, settings.node_region, [data.text], data.limit)
    return results[0]


@router.post(
    "/match-batch",
    name="address-match-batch",
    response_model=MatchBatchResult,
    responses=error_responses(413, 422),
)
async def match_addresses(
    data: MatchBatchIn, session: ReadSession, principal: Reader, settings: AppSettings
) -> MatchBatchResult:
    results = await service.match(session, principal, settings.node_region, data.texts, data.limit)
    return MatchBatchResult(results=results)


@router.post(
    "/import",
    name="address-import",
    response_model=AddressImportReport,
    responses=error_responses(413, 415, 422),
)
async def import_addresses(
    principal: Operator,
    uow: Writer,
    file: Annotated[UploadFile, File(description="CSV (UTF-8), one address per row")],
) -> AddressImportReport:
    return await importer.import_upload(uow, principal, file)


@router.get(
    "/{address_id}", name="address-get", response_model=AddressRead, responses=error_responses(404, 422)
)
async def get_address(
    address_id: uuid.UUID, session: ReadSession, principal: Reader, response: Response
) -> AddressRead:
    address = await service.get(session, principal, address_id)
    set_etag(response, address.version)
    return address


@router.patch(
    "/{address_id}",
    name="address-update",
    response_model=AddressRead,
    responses=error_responses(404, 409, 412, 422, 428),
)
async def update_address(
    address_id: uuid.UUID,
    data: AddressUpdate,
    expected: IfMatch,
    principal: Operator,
    uow: Writer,
    response: Response,
) -> AddressRead:
    address = await service.update(uow, principal, address_id, data, expected)
    set_etag(response, address.version)
    return address


@router.post(
    "/{address_id}/retire",
    name="address-retire",
    response_model=AddressRead,
    responses=error_responses(404, 409, 412, 422),
)
async def retire_address(
    address_id: uuid.UUID,
    data: RetireIn,
    principal: Operator,
    uow: Writer,
    response: Response,
    expected: OptionalIfMatch,
) -> AddressRead:
    address = await service.retire(uow, principal, address_id, data, expected)
    set_etag(response, address.version)
    return address


SVG = {"content": {"image/svg+xml": {"schema": {"type": "string"}}}, "description": "QR code (SVG)"}
PNG = {
    "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
    "description": "QR code (PNG)",
}


@router.get(
    "/{address_id}/plate.svg",
    name="address-plate-svg",
    response_class=Response,
    responses={200: SVG, **error_responses(404, 422)},
)
async def plate_svg(
    address_id: uuid.UUID, session: ReadSession, principal: Reader, settings: AppSettings
) -> Response:
    address = await service.plate_of(session, principal, address_id)
    url = plate.plate_url(settings.public_base_url, address.plate_code)
    return Response(plate.svg(url, address.full_name), media_type="image/svg+xml")


@router.get(
    "/{address_id}/plate.png",
    name="address-plate-png",
    response_class=Response,
    responses={200: PNG, **error_responses(404, 422)},
)
async def plate_png(
    address_id: uuid.UUID, session: ReadSession, principal: Reader, settings: AppSettings
) -> Response:
    address = await service.plate_of(session, principal, address_id)
    url = plate.plate_url(settings.public_base_url, address.plate_code)
    return Response(plate.png(url), media_type="image/png")
