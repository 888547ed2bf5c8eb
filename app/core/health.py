"""Operational endpoints: liveness and readiness (open), Prometheus metrics (open, or behind
the bearer token ``MZ_METRICS_TOKEN`` when it is set)."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from app.core.db import Database
from app.core.errors import Unauthorized, error_responses
from app.core.metrics import Metrics

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    node_region: str | None = None
    database: str | None = None
    migration: str | None = None
    expected_migration: str | None = None


@router.get("/healthz", name="health-live", response_model=Health, response_model_exclude_none=True)
async def healthz(request: Request) -> Health:
    return Health(status="ok", node_region=request.app.state.settings.node_region)


@router.get(
    "/readyz",
    name="health-ready",
    response_model=Health,
    response_model_exclude_none=True,
    responses=error_responses(503),
)
async def readyz(request: Request, response: Response) -> Health:
    db: Database = request.app.state.db
    expected: str | None = request.app.state.migration_head
    try:
        async with asyncio.timeout(3), db.engine.connect() as conn:
            found = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except Exception:
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return Health(status="unavailable", database="unreachable", expected_migration=expected)
    if found != expected:
        response.status_code = 503
        return Health(status="migrating", database="ok", migration=found, expected_migration=expected)
    return Health(status="ready", database="ok", migration=found, expected_migration=expected)


@router.get(
    "/metrics",
    name="health-metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        **error_responses(401, 429),
    },
)
async def metrics(request: Request) -> Response:
    expected: str = request.app.state.settings.metrics_token
    if expected:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            raise Unauthorized("/metrics needs the bearer token MZ_METRICS_TOKEN")
    registry: Metrics = request.app.state.metrics
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
