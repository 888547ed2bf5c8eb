"""The pull client: one ``httpx.AsyncClient`` per peer, explicit timeouts and limits, retries
with exponential backoff and full jitter on connection errors, 5xx and 429 (honouring
``Retry-After``); other 4xx are not retried; 410 means the cursor is gone.

The transport is injectable (``httpx.MockTransport`` in unit tests)."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from app.core import collector
from app.core.config import SyncPeer
from app.sync.exceptions import CursorGone, PeerRejected, PeerUnavailable, ProtocolError
from app.sync.schemas import ChainProof, DigestRead, FeedPage, SnapshotPage

log = logging.getLogger("app.sync.client")
M = TypeVar("M", bound=BaseModel)

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0


def backoff(attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Full jitter: a random wait up to base × 2^attempt (capped), never less than Retry-After."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * (2**attempt))
    wait = (rng or random).uniform(0, ceiling)
    return max(wait, retry_after or 0.0)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return min(float(value), BACKOFF_CAP_S)
    except ValueError:
        return None


class PeerClient:
    def __init__(
        self,
        peer: SyncPeer,
        *,
        timeout_s: float = 30.0,
        max_retries: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Any = asyncio.sleep,
    ) -> None:
        self.peer = peer
        self.max_retries = max_retries
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            base_url=peer.base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {peer.token}", "User-Agent": "mzbrain-sync"},
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> PeerClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def _get(self, path: str, params: dict[str, Any]) -> bytes:
        last: str = ""
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            try:
                response = await self._client.get(
                    path, params={k: v for k, v in params.items() if v is not None}
                )
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}"
            else:
                status = response.status_code
                if status < 300:
                    return response.content
                if status == 410:
                    raise CursorGone(_detail(response))
                if status == 429 or status >= 500:
                    last = f"HTTP {status}"
                    retry_after = _retry_after(response)
                else:
                    raise PeerRejected(status, _detail(response))
            if attempt < self.max_retries:
                wait = backoff(attempt, retry_after)
                log.warning("sync peer %s: %s; retrying in %.1fs", self.peer.name, last, wait)
                await self._sleep(wait)
        raise PeerUnavailable(
            f"peer {self.peer.name} unavailable after {self.max_retries + 1} attempts: {last}"
        )

    async def _model(self, model: type[M], path: str, params: dict[str, Any]) -> tuple[M, bytes]:
        raw = await self._get(path, params)
        try:
            with collector.paused():
                return model.model_validate_json(raw), raw
        except ValidationError as exc:
            raise ProtocolError(
                f"peer {self.peer.name} sent an invalid {model.__name__}: {exc.error_count()} errors"
            ) from None

    async def changes(self, cursor: str | None, limit: int, entities: list[str]) -> tuple[FeedPage, bytes]:
        return await self._model(
            FeedPage,
            "/api/v1/sync/changes",
            {"cursor": cursor, "limit": limit, "entities": ",".join(entities)},
        )

    async def snapshot(self, entity: str, cursor: str | None, limit: int) -> SnapshotPage:
        page, _raw = await self._model(
            SnapshotPage, "/api/v1/sync/snapshot", {"entity": entity, "cursor": cursor, "limit": limit}
        )
        return page

    async def digest(self, entities: list[str]) -> DigestRead:
        result, _raw = await self._model(DigestRead, "/api/v1/sync/digest", {"entities": ",".join(entities)})
        return result

    async def chain_proof(self, witness: str | None) -> ChainProof:
        result, _raw = await self._model(ChainProof, "/api/v1/sync/verify", {"witness": witness})
        return result


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:200]
    return str(body)[:200]
