"""Analytics endpoints: the cubes, answers (JSON, CSV, XLSX), trends and SVG charts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from app.analytics import export, service
from app.analytics.registry import NAME_PATTERN, CubeRegistry
from app.analytics.schemas import CubeAnswer, CubeInfo, Trend
from app.core.clock import clock
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.params import RegionQuery
from app.core.validators import normalize_region_code
from app.security.dependencies import require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], responses=error_responses(401, 403))

SVG_TYPE = "image/svg+xml"
CubePath = Annotated[str, Path(pattern=NAME_PATTERN, description="Cube name, e.g. households")]
Reader = Annotated[Principal, require("analytics:read")]
"""Analytics as such; each cube also needs the read permission of its domain."""
WINDOW = "YYYY-MM-DD, YYYY-MM, YYYYQn or YYYY"
FromQuery = Annotated[
    str | None, Query(alias="from", max_length=10, description=f"First day of the cube's date ({WINDOW})")
]
ToQuery = Annotated[str | None, Query(max_length=10, description=f"Last day of the cube's date ({WINDOW})")]
MeasureQuery = Annotated[str | None, Query(max_length=60, description="One measure (default count)")]
TitleQuery = Annotated[str | None, Query(max_length=60, description="Chart title (default: the measure's)")]


def registry_of(request: Request) -> CubeRegistry:
    registry: CubeRegistry = request.app.state.cubes
    return registry


def _region(value: str | None) -> str | None:
    return normalize_region_code(value) if value else None


def _file(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": what, "content": {media_type: {"schema": {"type": "string"}}}}}


@router.get("/cubes", name="analytics-cubes", response_model=list[CubeInfo])
async def list_cubes(request: Request, principal: Reader) -> list[CubeInfo]:
    return service.catalogue(registry_of(request), principal)


@router.get(
    "/{cube}",
    name="analytics-query",
    response_model=CubeAnswer,
    responses={
        200: {
            "description": "The answer; as a file with format=csv or format=xlsx.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                export.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **error_responses(404, 422),
    },
)
async def query_cube(
    request: Request,
    cube: CubePath,
    session: ReadSession,
    principal: Reader,
    measures: Annotated[
        str | None, Query(max_length=400, description="Comma-separated measures (default: all)")
    ] = None,
    by: Annotated[
        str | None,
        Query(max_length=400, description="Comma-separated dimensions, e.g. region:county,category"),
    ] = None,
    region_code: RegionQuery = None,
    start: FromQuery = None,
    to: ToQuery = None,
    format: Annotated[
        Literal["json", "csv", "xlsx"], Query(description="json (default), csv or xlsx")
    ] = "json",
) -> Response:
    found = service.find(registry_of(request), cube)
    answer = await service.answer(
        session,
        principal,
        found,
        measures=measures,
        by=by,
        region_code=_region(region_code),
        start=start,
        end=to,
        today=clock.today(),
    )
    if format == "csv":
        return Response(
            export.to_csv(answer),
            media_type=export.CSV_TYPE,
            headers={"Content-Disposition": export.disposition(answer, "csv")},
        )
    if format == "xlsx":
        money = {m.name for m in found.measures if m.type == "money"}
        return Response(
            export.to_xlsx(answer, money),
            media_type=export.XLSX_TYPE,
            headers={"Content-Disposition": export.disposition(answer, "xlsx")},
        )
    return JSONResponse(answer)


@router.get(
    "/{cube}/trend",
    name="analytics-trend",
    response_model=Trend,
    responses=error_responses(404, 422),
)
async def cube_trend(
    request: Request,
    cube: CubePath,
    session: ReadSession,
    principal: Reader,
    measure: MeasureQuery = None,
    region_code: RegionQuery = None,
    start: FromQuery = None,
    to: ToQuery = None,
) -> JSONResponse:
    found = service.find(registry_of(request), cube)
    body = await service.trend(
        session,
        principal,
        found,
        measure=measure,
        region_code=_region(region_code),
        start=start,
        end=to,
        today=clock.today(),
    )
    return JSONResponse(body)


@router.get(
    "/{cube}/trend.svg",
    name="analytics-trend-svg",
    response_class=Response,
    responses={**_file(SVG_TYPE, "The trend as an SVG column chart."), **error_responses(404, 422)},
)
async def cube_trend_svg(
    request: Request,
    cube: CubePath,
    session: ReadSession,
    principal: Reader,
    measure: MeasureQuery = None,
    region_code: RegionQuery = None,
    start: FromQuery = None,
    to: ToQuery = None,
    title: TitleQuery = None,
) -> Response:
    found = service.find(registry_of(request), cube)
    body = await service.trend(
        session,
        principal,
        found,
        measure=measure,
        region_code=_region(region_code),
        start=start,
        end=to,
        today=clock.today(),
    )
    return Response(
        service.trend_svg(body, title), media_type=SVG_TYPE, headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/{cube}/chart.svg",
    name="analytics-chart-svg",
    response_class=Response,
    responses={
        **_file(SVG_TYPE, "One measure by one dimension as an SVG bar chart."),
        **error_responses(404, 422),
    },
)
async def cube_chart_svg(
    request: Request,
    cube: CubePath,
    session: ReadSession,
    principal: Reader,
    by: Annotated[str, Query(max_length=40, description="One dimension, e.g. region:county")],
    measure: MeasureQuery = None,
    region_code: RegionQuery = None,
    start: FromQuery = None,
    to: ToQuery = None,
    title: TitleQuery = None,
) -> Response:
    found = service.find(registry_of(request), cube)
    svg = await service.chart_svg(
        session,
        principal,
        found,
        measure=measure,
        by=by,
        region_code=_region(region_code),
        start=start,
        end=to,
        title=title,
        today=clock.today(),
    )
    return Response(svg, media_type=SVG_TYPE, headers={"Cache-Control": "no-store"})
