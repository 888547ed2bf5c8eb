"""Sync endpoints: the feed other nodes pull, and peer management for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.core.db import Database, ReadSession
from app.core.errors import error_responses
from app.core.validators import REGION_PATTERN, normalize_region_code
from app.ledger import audit
from app.ledger.actor import Actor
from app.security.dependencies import AppSettings, Pii, actor_of, require
from app.security.principal import Principal
from app.security.scope import served_region
from app.sync import feed, service
from app.sync.schemas import ChainProof, DigestRead, FeedPage, PeerRead, SessionRead, SnapshotPage

router = APIRouter(prefix="/api/v1/sync", tags=["sync"], responses=error_responses(401, 403))

Feeder = Annotated[Principal, require("sync:read")]
Digester = Annotated[Principal, require("sync:digest")]
Manager = Annotated[Principal, require("sync:manage")]
Entities = Annotated[
    str | None, Query(max_length=2000, description="Comma-separated entity names (default: all)")
]


@router.get(
    "/changes", name="sync-changes", response_model=FeedPage, responses=error_responses(400, 410, 422)
)
async def changes(
    request: Request,
    principal: Feeder,
    session: ReadSession,
    settings: AppSettings,
    pii: Pii,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=feed.MAX_PAGE)] = 500,
    entities: Entities = None,
) -> Response:
    body, details = await feed.changes(
        session,
        principal,
        settings=settings,
        codec=request.app.state.cursor_codec,
        pii=pii,
        schema_version=request.app.state.migration_head,
        cursor=cursor,
        limit=limit,
        entities=feed.entity_names(entities),
    )
    db: Database = request.app.state.db
    personal = details.pop("personal")
    actor = actor_of(request, principal)
    region = served_region(principal.region, settings.node_region)
    await audit.append_detached(
        db.writer, actor, "sync.serve", resource_type="sync_feed", details=details, region_code=region
    )
    await _audit_transfer(db, actor, region, "sync_feed", personal, details["sha256"])
    return Response(body, media_type="application/json")


async def _audit_transfer(
    db: Database,
    actor: Actor,
    region: str,
    channel: str,
    personal: dict[str, dict[str, Any]],
    sha256: str | None,
) -> None:
    """A page that carries personal data in clear is a personal-data transfer: audited with
    the counts per entity and field (never the values)."""
    if not personal:
        return
    details: dict[str, Any] = {
        "channel": channel,
        "records": sum(e["records"] for e in personal.values()),
        "entities": personal,
    }
    if sha256:
        details["sha256"] = sha256
    await audit.append_detached(
        db.writer, actor, "pii.transfer", resource_type=channel, details=details, region_code=region
    )


@router.get(
    "/snapshot", name="sync-snapshot", response_model=SnapshotPage, responses=error_responses(400, 422)
)
async def snapshot(
    request: Request,
    principal: Feeder,
    session: ReadSession,
    settings: AppSettings,
    pii: Pii,
    entity: Annotated[str, Query(max_length=60)],
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=feed.MAX_PAGE)] = 500,
) -> SnapshotPage:
    page = await feed.snapshot(
        session,
        principal,
        settings=settings,
        codec=request.app.state.cursor_codec,
        pii=pii,
        schema_version=request.app.state.migration_head,
        entity=entity,
        cursor=cursor,
        limit=limit,
    )
    db: Database = request.app.state.db
    actor = actor_of(request, principal)
    region = served_region(principal.region, settings.node_region)
    await audit.append_detached(
        db.writer,
        actor,
        "sync.serve",
        resource_type="sync_snapshot",
        details={"entity": entity, "count": len(page.records)},
        region_code=region,
    )
    await _audit_transfer(
        db, actor, region, "sync_snapshot", feed.personal_counts([(entity, r) for r in page.records]), None
    )
    return page


@router.get("/digest", name="sync-digest", response_model=DigestRead, responses=error_responses(422))
async def digest(
    request: Request,
    principal: Digester,
    session: ReadSession,
    settings: AppSettings,
    entities: Entities = None,
    region_code: Annotated[str | None, Query(pattern=REGION_PATTERN)] = None,
) -> DigestRead:
    return await feed.digest(
        session,
        principal,
        settings=settings,
        schema_version=request.app.state.migration_head,
        entities=feed.entity_names(entities),
        region_code=normalize_region_code(region_code) if region_code else None,
    )


@router.get("/verify", name="sync-verify", response_model=ChainProof)
async def verify(
    request: Request,
    principal: Feeder,
    session: ReadSession,
    witness: Annotated[
        str | None, Query(pattern=r"^[0-9a-f]{64}$", description="An audit head seen earlier")
    ] = None,
) -> ChainProof:
    db: Database = request.app.state.db
    if db.is_postgres:  # link what is committed, so that the proof covers it
        await audit.link_all(db.writer)
    return await feed.chain_proof(session, witness)


@router.get("/peers", name="sync-peers", response_model=list[PeerRead])
async def peers(principal: Manager, session: ReadSession, settings: AppSettings) -> list[PeerRead]:
    return await service.peers(session, settings)


@router.post(
    "/peers/{name}/pull",
    name="sync-pull",
    response_model=SessionRead,
    responses=error_responses(404, 409, 503),
)
async def pull(
    request: Request, name: str, principal: Manager, settings: AppSettings, pii: Pii
) -> SessionRead:
    return await service.pull_now(request.app.state.db, settings, pii, name, request.app.state.migration_head)


@router.get(
    "/peers/{name}/sessions",
    name="sync-sessions",
    response_model=list[SessionRead],
    responses=error_responses(404, 422),
)
async def sessions(
    name: str,
    principal: Manager,
    session: ReadSession,
    settings: AppSettings,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[SessionRead]:
    return await service.sessions(session, settings, name, limit)
