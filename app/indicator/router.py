"""Indicator endpoints: definitions, targets, reports, progress trees and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.core.concurrency import IfMatch, etag, parse_if_match, set_etag
from app.core.db import ReadSession
from app.core.documents import DocumentResponse
from app.core.errors import error_responses
from app.core.idempotency import IdempotencyKey, respond_once
from app.core.pagination import Page, Paging
from app.core.params import RegionPath, RegionQuery
from app.core.validators import Day, normalize_region_code
from app.indicator import dashboard as dashboards
from app.indicator import export, forecast, progress, reports, service, targets
from app.indicator.period import PERIOD_PATTERN
from app.indicator.rollup import Aggregation
from app.indicator.schemas import (
    CODE_PATTERN,
    Dashboard,
    DashboardOrder,
    Depth,
    Forecast,
    ForecastOrder,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    Progress,
    ReportCreate,
    ReportRead,
    TargetIn,
    TargetRead,
)
from app.security.dependencies import Writer, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"], responses=error_responses(401, 403))

Reader = Annotated[Principal, require("indicator:read")]
Admin = Annotated[Principal, require("indicator:write")]
Reporter = Annotated[Principal, require("indicator_report:write")]
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="Indicator code")]
PeriodQuery = Annotated[
    str | None, Query(pattern=PERIOD_PATTERN, description='"2022" or "2022Q3"; default: the year of as_of')
]
AsOfQuery = Annotated[Day | None, Query(description="Count reports up to this day; default: today")]
DepthQuery = Annotated[
    Depth | None,
    Query(description="Lowest level of the tree; default county (one level below a county or lower)"),
]


def _region(value: str | None) -> str | None:
    return normalize_region_code(value) if value else None


@dataclass(frozen=True, slots=True)
class DashboardQuery:
    period: str | None
    region_code: str | None
    as_of: date | None
    depth: str | None


def dashboard_query(
    period: PeriodQuery = None,
    region_code: RegionQuery = None,
    as_of: AsOfQuery = None,
    depth: DepthQuery = None,
) -> DashboardQuery:
    return DashboardQuery(period, _region(region_code), as_of, depth)


Board = Annotated[DashboardQuery, Depends(dashboard_query)]
OrderQuery = Annotated[
    DashboardOrder,
    Query(
        description="lag: most lagging first (default); shortfall: projected misses first, and the "
        "region's children ranked by projected shortfall"
    ),
]


def _file(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "The dashboard as a file",
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(404, 422),
    }


async def _board(
    session: ReadSession, principal: Principal, query: DashboardQuery, order: DashboardOrder = "lag"
) -> Dashboard:
    return await dashboards.dashboard(
        session,
        principal,
        period=query.period,
        region_code=query.region_code,
        as_of=query.as_of,
        depth=query.depth,
        order=order,
    )


@router.get(
    "", name="indicator-list", response_model=Page[IndicatorRead], responses=error_responses(400, 422)
)
async def list_indicators(
    session: ReadSession,
    principal: Reader,
    paging: Paging,
    domain: Annotated[str | None, Query(max_length=40)] = None,
    aggregation: Aggregation | None = None,
) -> Page[IndicatorRead]:
    return await service.list_indicators(session, principal, paging, domain=domain, aggregation=aggregation)


# The dashboard paths come before /{code}, which would otherwise take them.
@router.get(
    "/dashboard", name="indicator-dashboard", response_model=Dashboard, responses=error_responses(404, 422)
)
async def dashboard(
    session: ReadSession, principal: Reader, query: Board, order: OrderQuery = "lag"
) -> DocumentResponse:
    # Built from validated parts: serialised as it is, not validated against Dashboard again.
    return DocumentResponse(await _board(session, principal, query, order))


@router.get(
    "/dashboard.xlsx",
    name="indicator-dashboard-xlsx",
    response_class=Response,
    responses=_file(export.XLSX_TYPE),
)
async def dashboard_xlsx(
    session: ReadSession, principal: Reader, query: Board, order: OrderQuery = "lag"
) -> Response:
    board = await _board(session, principal, query, order)
    return Response(
        export.to_xlsx(board),
        media_type=export.XLSX_TYPE,
        headers={"Content-Disposition": export.disposition(board, "xlsx")},
    )


@router.get(
    "/dashboard.csv",
    name="indicator-dashboard-csv",
    response_class=Response,
    responses=_file(export.CSV_TYPE),
)
async def dashboard_csv(
    session: ReadSession, principal: Reader, query: Board, order: OrderQuery = "lag"
) -> Response:
    board = await _board(session, principal, query, order)
    return Response(
        export.to_csv(board),
        media_type=export.CSV_TYPE,
        headers={"Content-Disposition": export.disposition(board, "csv")},
    )


@router.post(
    "",
    name="indicator-create",
    status_code=status.HTTP_201_CREATED,
    response_model=IndicatorRead,
    responses=error_responses(409, 422),
)
async def create_indicator(
    request: Request,
    data: IndicatorCreate,
    principal: Admin,
    uow: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, IndicatorRead, dict[str, str]]:
        created = await service.create(uow, principal, data)
        return 201, created, {"ETag": etag(created.version), "Location": f"/api/v1/indicators/{created.code}"}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get(
    "/{code}", name="indicator-get", response_model=IndicatorRead, responses=error_responses(404, 422)
)
async def get_indicator(
    code: CodePath, session: ReadSession, principal: Reader, response: Response
) -> IndicatorRead:
    indicator = await service.get(session, principal, code)
    set_etag(response, indicator.version)
    return indicator


@router.patch(
    "/{code}",
    name="indicator-update",
    response_model=IndicatorRead,
    responses=error_responses(404, 409, 412, 422, 428),
)
async def update_indicator(
    code: CodePath,
    data: IndicatorUpdate,
    expected: IfMatch,
    principal: Admin,
    uow: Writer,
    response: Response,
) -> IndicatorRead:
    indicator = await service.update(uow, principal, code, data, expected)
    set_etag(response, indicator.version)
    return indicator


@router.get(
    "/{code}/targets",
    name="indicator-target-list",
    response_model=Page[TargetRead],
    responses=error_responses(400, 404, 422),
)
async def list_targets(
    code: CodePath,
    session: ReadSession,
    principal: Reader,
    paging: Paging,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
) -> Page[TargetRead]:
    return await targets.list_targets(session, principal, code, paging, period=period)


@router.put(
    "/{code}/targets/{period}/{region_code}",
    name="indicator-target-set",
    response_model=TargetRead,
    responses={
        201: {"model": TargetRead, "description": "Created"},
        **error_responses(404, 409, 412, 422, 428),
    },
)
async def set_target(
    code: CodePath,
    period: Annotated[str, Path(pattern=PERIOD_PATTERN, description='"2022" or "2022Q3"')],
    region_code: RegionPath,
    data: TargetIn,
    principal: Admin,
    uow: Writer,
    response: Response,
    if_match_header: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='Required to replace a target (the ETag you read, e.g. `"2"`); omit to create.',
        ),
    ] = None,
) -> TargetRead:
    expected = parse_if_match(if_match_header) if if_match_header else None
    target, created = await targets.set_target(
        uow, principal, code, period, normalize_region_code(region_code), data, expected
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    set_etag(response, target.version)
    return target


@router.post(
    "/{code}/reports",
    name="indicator-report-create",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportRead,
    responses=error_responses(404, 409, 422),
)
async def create_report(
    request: Request,
    code: CodePath,
    data: ReportCreate,
    principal: Reporter,
    uow: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def create() -> tuple[int, ReportRead, dict[str, str]]:
        report = await reports.create(uow, principal, code, data)
        return 201, report, {"ETag": etag(report.version)}

    return await respond_once(
        request, uow.session, principal=principal.sub, key=idempotency_key, payload=data, create=create
    )


@router.get(
    "/{code}/reports",
    name="indicator-report-list",
    response_model=Page[ReportRead],
    responses=error_responses(400, 404, 422),
)
async def list_reports(
    code: CodePath,
    session: ReadSession,
    principal: Reader,
    paging: Paging,
    region_code: RegionQuery = None,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
) -> Page[ReportRead]:
    return await reports.list_reports(
        session, principal, code, paging, region_code=_region(region_code), period=period
    )


@router.get(
    "/{code}/progress",
    name="indicator-progress",
    response_model=Progress,
    responses=error_responses(404, 422),
)
async def indicator_progress(
    code: CodePath, session: ReadSession, principal: Reader, query: Board
) -> Progress:
    return await progress.progress(
        session,
        principal,
        code,
        period=query.period,
        region_code=query.region_code,
        as_of=query.as_of,
        depth=query.depth,
    )


@router.get(
    "/{code}/forecast",
    name="indicator-forecast",
    response_model=Forecast,
    responses=error_responses(404, 422),
)
async def indicator_forecast(
    code: CodePath,
    session: ReadSession,
    principal: Reader,
    query: Board,
    order: Annotated[
        ForecastOrder, Query(description="tree: the region then its children (default); shortfall")
    ] = "tree",
) -> Forecast:
    """Each region's value projected to the end of the period: ``sum`` indicators linearly on
    the cumulative value from the period's start, the others carried; with ``will_meet`` and
    the shortfall against the target."""
    return await forecast.forecast(
        session,
        principal,
        code,
        period=query.period,
        region_code=query.region_code,
        as_of=query.as_of,
        depth=query.depth,
        order=order,
    )
