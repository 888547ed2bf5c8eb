"""The pull client's retry policy, with httpx.MockTransport as the peer."""

from __future__ import annotations

import httpx
import pytest

from app.core.config import SyncPeer
from app.sync.client import PeerClient
from app.sync.exceptions import CursorGone, PeerRejected, PeerUnavailable, ProtocolError

PEER = SyncPeer(name="county", base_url="http://county.test", relation="child", token="t")
PROOF = {"chain_ok": True, "checked": 1, "head": "a" * 64, "witness": None, "witness_seq": None}


def _client(handler, retries: int = 3) -> tuple[PeerClient, list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return PeerClient(PEER, max_retries=retries, transport=httpx.MockTransport(handler), sleep=sleep), waits


async def test_retries_5xx_and_429_then_succeeds() -> None:
    answers = iter(
        [
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "4"}),
            httpx.Response(200, json=PROOF),
        ]
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    client, waits = _client(handler)
    proof = await client.chain_proof(None)
    assert proof.chain_ok
    assert len(seen) == 3
    assert seen[0].headers["authorization"] == "Bearer t"
    assert waits[1] >= 4.0
    await client.aclose()


async def test_connection_errors_exhaust_into_peer_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, waits = _client(handler, retries=2)
    with pytest.raises(PeerUnavailable, match="3 attempts"):
        await client.chain_proof(None)
    assert len(waits) == 2
    await client.aclose()


async def test_other_4xx_are_not_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(403, json={"detail": "roles viewer may not sync:read"})

    client, _waits = _client(handler)
    with pytest.raises(PeerRejected, match="403"):
        await client.chain_proof(None)
    assert len(calls) == 1
    await client.aclose()


async def test_gone_and_garbage() -> None:
    client, _ = _client(lambda r: httpx.Response(410, json={"detail": "epoch"}))
    with pytest.raises(CursorGone):
        await client.changes("c", 10, ["region"])
    await client.aclose()
    client, _ = _client(lambda r: httpx.Response(200, json={"changes": "nope"}))
    with pytest.raises(ProtocolError):
        await client.changes(None, 10, ["region"])
    await client.aclose()
