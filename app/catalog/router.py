"""Catalog endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.catalog import export, service
from app.catalog.schemas import CatalogEntry
from app.core.db import Database, ReadSession
from app.core.errors import error_responses
from app.ledger import audit
from app.security.dependencies import AppSettings, actor_of, require
from app.security.principal import Principal
from app.security.scope import served_region

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"], responses=error_responses(401, 403))

_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("", name="catalog-list", response_model=list[CatalogEntry])
async def catalog(
    session: ReadSession, principal: Annotated[Principal, require("catalog:read")], settings: AppSettings
) -> list[CatalogEntry]:
    return await service.entries(session, principal, settings)


@router.get(
    "/{dataset}/export",
    name="catalog-export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {_MEDIA["csv"]: {}, _MEDIA["xlsx"]: {}}, "description": "The masked dataset"},
        **error_responses(404, 422),
    },
)
async def export_dataset(
    request: Request,
    dataset: str,
    principal: Annotated[Principal, require("catalog:export")],
    settings: AppSettings,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> StreamingResponse:
    spec = service.readable_spec(principal, dataset)
    db: Database = request.app.state.db
    async with db.writer() as session, session.begin():
        await audit.append(
            session,
            actor_of(request, principal),
            "catalog.export",
            resource_type=spec.name,
            details={"format": format, "scope": principal.region},
            region_code=served_region(principal.region, settings.node_region),
        )
    stream = export.csv_stream if format == "csv" else export.xlsx_stream
    filename = f"{spec.name}-{principal.region}.{format}"
    return StreamingResponse(
        stream(db, spec, principal.region),
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
