"""Managing peers: status, pulls on demand, session history."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings, SyncPeer
from app.core.db import Database
from app.core.errors import Conflict, NotFound, ServiceUnavailable
from app.core.types import utcnow
from app.security.pii import PiiCipher
from app.sync.exceptions import PullInProgress, SyncError
from app.sync.puller import Puller, default_entities
from app.sync.repository import SyncRepository
from app.sync.schemas import PeerRead, SessionRead


def find_peer(settings: Settings, name: str) -> SyncPeer:
    for peer in settings.sync_peers:
        if peer.name == name:
            return peer
    raise NotFound(f"no sync peer named {name}")


async def peers(session: AsyncSession, settings: Settings) -> list[PeerRead]:
    states = {s.peer: s for s in await SyncRepository(session).peers()}
    now = utcnow()
    out = []
    for peer in settings.sync_peers:
        state = states.get(peer.name)
        lag = None
        if state is not None and state.last_success_at is not None:
            lag = (now - state.last_success_at).total_seconds()
        out.append(
            PeerRead(
                name=peer.name,
                relation=peer.relation,
                base_url=peer.base_url,
                entities=default_entities(peer),
                interval_s=peer.interval_s,
                cursor_set=bool(state and state.cursor),
                epoch=state.epoch if state else None,
                last_success_at=state.last_success_at if state else None,
                lag_s=lag,
                last_error=state.last_error if state else None,
                last_error_at=state.last_error_at if state else None,
                records_applied=state.records_applied if state else 0,
                witness_audit_head=state.witness_audit_head if state else None,
            )
        )
    return out


async def pull_now(
    db: Database, settings: Settings, pii: PiiCipher, name: str, schema_version: str | None
) -> SessionRead:
    peer = find_peer(settings, name)
    puller = Puller(db, settings, pii, peer, schema_version=schema_version)
    try:
        record = await puller.pull()
    except PullInProgress as exc:
        raise Conflict(str(exc)) from None
    except SyncError as exc:
        raise ServiceUnavailable(f"pull from {name} failed: {exc}") from None
    finally:
        await puller.client.aclose()
    return SessionRead.model_validate(record.model_dump())


async def sessions(session: AsyncSession, settings: Settings, name: str, limit: int) -> list[SessionRead]:
    find_peer(settings, name)
    rows = await SyncRepository(session).sessions(name, limit)
    return [SessionRead.model_validate(r.model_dump()) for r in rows]
