"""The application factory: settings, database, middleware, routers — wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app import __version__
from app.address.cubes import ADDRESSES
from app.address.public import router as address_public_router
from app.address.router import router as address_router
from app.analytics.cockpit import router as cockpit_router
from app.analytics.registry import CubeRegistry
from app.analytics.router import router as analytics_router
from app.assessment import service as assessments
from app.assessment.cubes import ASSESSMENTS
from app.assessment.router import router as assessment_router
from app.audit.router import router as audit_router
from app.care import discoveries as care_discoveries
from app.care.cubes import NEEDS, REFERRALS, VISITS
from app.care.router import router as care_router
from app.catalog.router import router as catalog_router
from app.charity_trust.cubes import CHARITY_TRUSTS
from app.charity_trust.router import router as charity_trust_router
from app.core.clock import clock
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.docs import install_docs
from app.core.errors import Problem, error_responses, install_error_handlers, render_domain_error
from app.core.health import router as health_router
from app.core.metrics import Metrics
from app.core.middleware import (
    BodyLimitMiddleware,
    NulGuardMiddleware,
    RequestContextMiddleware,
    TestClockMiddleware,
)
from app.core.migrations import head_revision
from app.core.pagination import CursorCodec
from app.elderly.router import router as elderly_router
from app.indicator.router import router as indicator_router
from app.ledger.chainer import Chainer
from app.models import import_all_models
from app.quality.router import router as quality_router
from app.recipient import capabilities as recipient_capabilities
from app.recipient import screening
from app.recipient.cubes import HOUSEHOLDS, MEMBERS, PAYMENTS
from app.recipient.death_router import router as death_router
from app.recipient.exceptions import DuplicateRegistration
from app.recipient.payment_router import router as payment_router
from app.recipient.router import on_duplicate
from app.recipient.router import router as recipient_router
from app.recipient.subsidy_router import router as subsidy_router
from app.region.router import router as region_router
from app.security.dependencies import install_denial_handlers
from app.security.pii import PiiCipher
from app.security.tokens import TokenVerifier
from app.standard.router import router as standard_router
from app.sync.router import router as sync_router
from app.sync.scheduler import Scheduler

OPENAPI_URL = "/openapi.json"

CUBES = (HOUSEHOLDS, PAYMENTS, MEMBERS, ASSESSMENTS, CHARITY_TRUSTS, ADDRESSES, NEEDS, REFERRALS, VISITS)
"""The analytics cubes, declared by their domains (``app/<domain>/cubes.py``)."""

TAGS = [
    {"name": "operations", "description": "Liveness, readiness and metrics (open)."},
    {"name": "regions", "description": "行政区划 — administrative divisions."},
    {"name": "standards", "description": "政策标准 — dated per-region policy standards (dibao standard …)."},
    {
        "name": "recipients",
        "description": "社会救助 — assistance households, workflow, eligibility, payments.",
    },
    {
        "name": "assessments",
        "description": "老年人能力评估 — elderly capability assessments (GB/T 42195-2022), profiles.",
    },
    {
        "name": "charity-trusts",
        "description": "慈善信托 — charity trust filings, changes, annual reports, disclosure, statistics.",
    },
    {
        "name": "care",
        "description": "服务找人 — needs (需求库), resources (资源项目库), matching, referrals (派单), "
        "visits (探访关爱).",
    },
    {
        "name": "indicators",
        "description": "任务指标 — indicator definitions, targets, reports, roll-ups, dashboard.",
    },
    {
        "name": "analytics",
        "description": "多维模型 — cubes over every dataset: measures by region, time and attributes, "
        "trends with month-over-month and year-over-year change, exports, SVG charts.",
    },
    {"name": "catalog", "description": "数据目录 — every dataset this node holds, masked exports."},
    {"name": "quality", "description": "数据质量 — named data-quality rules, findings, scores per region."},
    {"name": "sync", "description": "三级贯通 — the change feed other nodes pull, reconciliation, peers."},
    {
        "name": "addresses",
        "description": "标准地名地址 — the standard address register (一库一码): parsing, matching, "
        "bulk import, digital house plates.",
    },
    {"name": "public", "description": "Open pages: the digital house plate page (no token)."},
    {
        "name": "cockpit",
        "description": "驾驶舱 — the leaders' offline page (`/cockpit`): indicator lights, trends, "
        "regions side by side; its data calls need a token.",
    },
    {"name": "audit", "description": "The hash-chained audit log."},
]

ROUTERS = [
    health_router,
    region_router,
    standard_router,
    recipient_router,
    payment_router,
    subsidy_router,
    death_router,
    address_router,
    address_public_router,
    assessment_router,
    elderly_router,
    charity_trust_router,
    care_router,
    indicator_router,
    analytics_router,
    cockpit_router,
    catalog_router,
    quality_router,
    sync_router,
    audit_router,
]


def _operation_id(route: APIRoute) -> str:
    return route.name


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in components["Problem"].pop("$defs", {}).items():
        components.setdefault(name, sub)
    _document_problems(schema)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema


def _document_problems(schema: dict[str, Any]) -> None:
    """Every error an operation can answer, as problem+json: 400/401/403/422/429/503 everywhere
    under /api (400 for a malformed request — a NUL character in the URL, a forged cursor;
    503 when the database is unreachable; 429 after repeated failed authentications), 413/415
    where a body is read, 404 where the path names a record; 400 on any other operation that
    takes parameters."""
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            if path.startswith("/api/"):
                statuses = {400, 401, 403, 422, 429, 503}
            else:
                # Outside /api (the public plate page) only the door's 400 is added, where the
                # URL carries parameters; the page's own answers keep their media types.
                if parameters:
                    operation.setdefault("responses", {})["400"] = error_responses(400)[400]
                continue
            if "requestBody" in operation:
                statuses |= {413, 415}
            if any(p.get("in") == "path" for p in parameters):
                statuses.add(404)
            responses = operation.setdefault("responses", {})
            for status, documented in error_responses(*sorted(statuses)).items():
                current = responses.get(str(status))
                description = current["description"] if current else documented["description"]
                responses[str(status)] = {**documented, "description": description}
            for status, entry in responses.items():
                if status.startswith(("4", "5")):
                    entry["content"] = error_responses(int(status))[int(status)]["content"]


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production()
    clock.configure(settings.timezone)
    import_all_models()
    # Ports between domains, filled here (never as a side effect of an import).
    recipient_capabilities.register_capability_source(assessments.latest_capabilities)
    db = database or Database(settings)
    # Registries are filled here, never as a side effect of importing a module.
    screening.register_rule(care_discoveries.VISIT_OVERDUE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = Scheduler(db, settings, app.state.pii, app.state.migration_head)
        scheduler.start()
        # Requests append audit events unchained; on SQLite the append links them at once.
        chainer = Chainer(db.writer) if db.is_postgres else None
        if chainer is not None:
            chainer.start()
        try:
            yield
        finally:
            if chainer is not None:
                await chainer.stop()
            await scheduler.stop()
            if database is None:
                await db.dispose()

    app = FastAPI(
        title="mzbrain",
        version=__version__,
        description=(
            "Data service of Huzhou's civil-affairs 民政大脑: social-assistance recipients, "
            "elderly capability assessments, charity trusts, standard addresses, task "
            "indicators, and the province–city–county sync. Errors are RFC 9457 "
            "`application/problem+json`."
        ),
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        telemetry={"tracing": False, "metrics": False},
    )
    metrics = Metrics()
    metrics.watch_pool(db.pool_status)
    app.state.settings = settings
    app.state.db = db
    app.state.metrics = metrics
    app.state.tokens = TokenVerifier(settings)
    app.state.pii = PiiCipher.from_settings(settings)
    app.state.cursor_codec = CursorCodec(settings.cursor_secret)
    app.state.owns_shipped = not any(p.relation == "parent" for p in settings.sync_peers)
    app.state.migration_head = head_revision()
    app.state.cubes = CubeRegistry(CUBES)

    install_error_handlers(app)
    install_denial_handlers(app, render_domain_error)
    app.add_exception_handler(DuplicateRegistration, on_duplicate)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After", "Location"],
        )
    app.add_middleware(NulGuardMiddleware)
    if settings.test_clock:
        app.add_middleware(TestClockMiddleware)
    app.add_middleware(
        BodyLimitMiddleware, limit=settings.max_body_bytes, import_limit=settings.import_max_body_bytes
    )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    for router in ROUTERS:
        app.include_router(router)
    install_docs(app, OPENAPI_URL)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
