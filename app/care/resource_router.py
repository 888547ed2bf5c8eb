"""Resource endpoints (资源项目库): create, list, read, change, retire, import, export."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from app.care import export, importer, resources
from app.care.filters import ResourceFilter
from app.care.http import (
    Exporter,
    ExportFormat,
    Operator,
    Reader,
    audit_export,
    file_response,
    file_responses,
)
from app.care.schemas import ImportReport, ResourceCreate, ResourceRead, ResourceUpdate
from app.core.concurrency import IfMatch, etag, set_etag
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.security.dependencies import Writer

router = APIRouter()


async def resource_filters(filters: Annotated[ResourceFilter, Query()]) -> ResourceFilter:
    """The resource filters, shared by the list and its export; as a dependency, so that the
    schema lists them after the paging parameters, as it always has."""
    return filters


ResourceQuery = Annotated[ResourceFilter, Depends(resource_filters)]


@router.post(
    "/resources",
    name="resource-create",
    status_code=status.HTTP_201_CREATED,
    response_model=ResourceRead,
    responses=error_responses(422),
)
async def create_resource(
    request: Request,
    data: ResourceCreate,
    principal: Operator,
    uow: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, ResourceRead, dict[str, str]]:
        resource = await resources.create(uow, principal, data)
        return 201, resource, {"ETag": etag(resource.version), "Location": f"/api/v1/resources/{resource.id}"}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get(
    "/resources", name="resource-list", response_model=Page[ResourceRead], responses=error_responses(400, 422)
)
async def list_resources(
    session: ReadSession, principal: Reader, paging: Paging, filters: ResourceQuery
) -> Page[ResourceRead]:
    """Resources of the caller's region and below, and those of the regions containing it."""
    return await resources.list_resources(session, principal, paging, filters)


@router.post(
    "/resources/import",
    name="resource-import",
    response_model=ImportReport,
    responses=error_responses(413, 415, 422),
)
async def import_resources(
    principal: Operator,
    uow: Writer,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX, one resource a row")],
) -> ImportReport:
    return await importer.import_upload(uow, principal, file)


@router.get(
    "/resources/export",
    name="resource-export",
    response_class=Response,
    responses=file_responses("The resources visible to the caller"),
)
async def export_resources(
    request: Request,
    session: ReadSession,
    principal: Exporter,
    filters: ResourceQuery,
    format: ExportFormat = "csv",
) -> Response:
    items = await resources.everything(session, principal, filters)
    await audit_export(request, principal, "care_resource", format, len(items))
    header, rows = export.resource_rows(items)
    return file_response(
        export.render(format, "resources", header, rows), format, f"resources-{principal.region}"
    )


@router.get(
    "/resources/{resource_id}",
    name="resource-get",
    response_model=ResourceRead,
    responses=error_responses(404, 422),
)
async def get_resource(
    resource_id: uuid.UUID, session: ReadSession, principal: Reader, response: Response
) -> ResourceRead:
    resource = await resources.get(session, principal, resource_id)
    set_etag(response, resource.version)
    return resource


@router.patch(
    "/resources/{resource_id}",
    name="resource-update",
    response_model=ResourceRead,
    responses=error_responses(404, 409, 412, 422, 428),
)
async def update_resource(
    resource_id: uuid.UUID,
    data: ResourceUpdate,
    principal: Operator,
    expected: IfMatch,
    uow: Writer,
    response: Response,
) -> ResourceRead:
    resource = await resources.update(uow, principal, resource_id, data, expected)
    set_etag(response, resource.version)
    return resource


@router.delete(
    "/resources/{resource_id}",
    name="resource-delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 409, 412, 428),
)
async def delete_resource(
    resource_id: uuid.UUID, principal: Operator, expected: IfMatch, uow: Writer
) -> Response:
    await resources.delete(uow, principal, resource_id, expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
