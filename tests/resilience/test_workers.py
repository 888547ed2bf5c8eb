"""Two worker processes (``python -m app serve --workers 2``) sharing one database: what must
hold across processes — idempotent creates, one audit chain, one puller per sync peer, one
failed-authentication count per client address.

Every test checks that its requests reached both workers (each worker's established
connections on the service port, read from the operating system while the client still holds
them open).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import psutil
import pytest

from app.core.migrations import head_revision
from tests.databases import TestDatabase
from tests.resilience.service import Service, free_port, household, is_problem, pinned_clients, serving

pytestmark = pytest.mark.slow

AUTH_FAIL_LIMIT = 10
PEER = "wuxing"
FEED_DELAY_S = 0.25


class StubPeer:
    """A child node with an empty, slow feed. It notes which process asked for each page."""

    def __init__(self) -> None:
        self.port = free_port()
        self.pages: list[tuple[float, str, int | None]] = []  # (time, path, pid of the caller)
        self._server: asyncio.Server | None = None
        self.node = {
            "region": "330502",
            "name": "node-330502",
            "epoch": "e1",
            "schema_version": head_revision(),
        }

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    def _caller(self, peer: tuple[str, int]) -> int | None:
        for conn in psutil.net_connections(kind="tcp"):
            local = (conn.laddr.ip, conn.laddr.port) if conn.laddr else None
            if local == peer[:2] and conn.raddr and conn.raddr.port == self.port:
                return conn.pid
        return None

    def _body(self, path: str) -> bytes:
        if path.startswith("/api/v1/sync/snapshot"):
            doc: dict[str, object] = {
                "entity": "recipient_household",
                "records": [],
                "next_cursor": None,
                "feed_cursor": "c1",
                "node": self.node,
            }
        else:
            doc = {
                "changes": [],
                "next_cursor": "c1",
                "has_more": False,
                "node": self.node,
                "audit_head": "0" * 64,
            }
        return json.dumps(doc).encode()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pid = self._caller(writer.get_extra_info("peername"))
        try:
            while line := await reader.readline():
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                path = line.split()[1].decode()
                self.pages.append((time.monotonic(), path, pid))
                await asyncio.sleep(FEED_DELAY_S)
                body = self._body(path)
                head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


@pytest.fixture(scope="module")
async def peer() -> AsyncIterator[StubPeer]:
    stub = StubPeer()
    await stub.start()
    yield stub
    await stub.close()


@pytest.fixture(scope="module")
async def service(peer: StubPeer) -> AsyncIterator[Service]:
    database = TestDatabase()
    url = await database.create()
    peers = [
        {
            "name": PEER,
            "base_url": f"http://127.0.0.1:{peer.port}",
            "relation": "child",
            "token": "stub",
            "entities": ["recipient_household"],
            "interval_s": 0.2,
        }
    ]
    try:
        async with serving(
            url,
            workers=2,
            MZ_AUTH_FAIL_LIMIT=str(AUTH_FAIL_LIMIT),
            MZ_AUTH_FAIL_WINDOW_S="300",
            # The tests stand in for a reverse proxy on 127.0.0.1 that sets X-Forwarded-For.
            MZ_FORWARDED_ALLOW_IPS="127.0.0.1",
            MZ_SYNC_PEERS=json.dumps(peers),
            MZ_SYNC_TIMEOUT_S="5",
            MZ_LOG_LEVEL="INFO",
        ) as svc:
            yield svc
    finally:
        await database.drop()


def _both_workers(service: Service) -> None:
    counts = service.connections_per_worker()
    assert len(counts) == 2, counts
    assert all(n > 0 for n in counts.values()), f"requests reached one worker only: {counts}"


def _client(service: Service) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=service.base_url,
        timeout=60,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
    )


async def test_one_create_per_idempotency_key(service: Service) -> None:
    operator = service.headers("operator", sub="idem")
    body = household(1)
    head_number = body["members"][0]["id_number"]
    headers = {**operator, "Idempotency-Key": "hh-once-1"}
    async with pinned_clients(service) as clients:
        responses = await asyncio.gather(
            *(
                clients[i % len(clients)].post("/api/v1/recipients", json=body, headers=headers)
                for i in range(24)
            )
        )
        _both_workers(service)
        found = await clients[0].get(
            "/api/v1/recipients", params={"id_number": head_number, "count": "true"}, headers=operator
        )
    assert [r.status_code for r in responses] == [201] * 24, [
        r.text for r in responses if r.status_code != 201
    ]
    assert len({r.json()["id"] for r in responses}) == 1
    first = responses[0].json()
    assert all(r.json() == first for r in responses), "every repeat replays the first response"
    assert len({(r.headers["etag"], r.headers["location"]) for r in responses}) == 1
    assert sum(r.headers.get("idempotency-replayed") != "true" for r in responses) == 1
    assert found.json()["total"] == 1


async def test_one_audit_chain_under_concurrent_writes(service: Service) -> None:
    operator = service.headers("operator", sub="chain")
    async with pinned_clients(service) as clients:
        responses = await asyncio.gather(
            *(
                clients[k % len(clients)].post("/api/v1/recipients", json=household(k), headers=operator)
                for k in range(40)
            )
        )
        _both_workers(service)
        # Scheduled pulls of the stub peer may append events at any moment: take the newest
        # event first, then verify a chain that must reach at least that far.
        events = await clients[1].get(
            "/api/v1/audit/events", params={"limit": 1}, headers=service.headers("auditor")
        )
        creates = await clients[1].get(
            "/api/v1/audit/events",
            params={"actor": "chain", "action": "recipient_household.create", "limit": 100},
            headers=service.headers("auditor"),
        )
        verify = await clients[0].get("/api/v1/audit/verify", headers=service.headers("auditor"))
    assert [r.status_code for r in responses] == [201] * 40
    report = verify.json()
    assert report["ok"] is True, report
    newest = events.json()["items"][0]
    assert report["checked"] >= newest["seq"] >= 40  # one event per seq: no gap, no fork
    assert len(creates.json()["items"]) == 40, creates.text


async def test_one_puller_per_peer(service: Service, peer: StubPeer) -> None:
    admin = service.headers("admin", sub="sync")
    workers = {p.pid for p in service.workers()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    async with _client(service) as client:
        while True:
            r = await client.get(f"/api/v1/sync/peers/{PEER}/sessions", params={"limit": 500}, headers=admin)
            assert r.status_code == 200, r.text
            sessions = r.json()
            pullers = {pid for _, _, pid in peer.pages}
            if (len(sessions) >= 8 and workers <= pullers) or loop.time() > deadline:
                break
            await asyncio.sleep(0.5)
    assert workers <= pullers, f"both workers should pull in turn: pulled by {pullers}, workers {workers}"
    runs = sorted(sessions, key=lambda s: s["started_at"])
    assert len(runs) >= 8
    assert all(s["outcome"] in {"ok", "running"} for s in runs), [s["error"] for s in runs if s["error"]]
    for before, after in itertools.pairwise(runs):
        assert before["ended_at"] is not None, "only the newest session may still run"
        ended = datetime.fromisoformat(before["ended_at"])
        assert datetime.fromisoformat(after["started_at"]) >= ended, f"overlapping sessions {before} {after}"


async def test_failed_authentications_are_counted_across_workers(service: Service) -> None:
    headers = {"Authorization": "Bearer not-a-token", "X-Forwarded-For": "198.51.100.23"}
    async with pinned_clients(service) as clients:
        responses = await asyncio.gather(
            *(
                clients[i % len(clients)].get("/api/v1/recipients", headers=headers)
                for i in range(3 * AUTH_FAIL_LIMIT)
            )
        )
        _both_workers(service)
        other = await clients[0].get(
            "/api/v1/recipients", headers={**headers, "X-Forwarded-For": "198.51.100.24"}
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(401) == AUTH_FAIL_LIMIT, statuses
    assert statuses.count(429) == 2 * AUTH_FAIL_LIMIT, statuses
    assert all(is_problem(r, r.status_code) for r in responses)
    assert all(r.headers.get("retry-after") for r in responses if r.status_code == 429)
    assert other.status_code == 401, "another address has its own count"


async def test_every_worker_logs_json(service: Service) -> None:
    async with pinned_clients(service, per_worker=1) as clients:
        for client in clients:
            assert (await client.get("/healthz")).status_code == 200
    lines = [json.loads(line) for line in service.log.read_text().splitlines() if line.startswith("{")]
    started = {line["msg"] for line in lines if line["logger"] == "uvicorn.error"}
    for worker in service.workers():
        assert f"Started server process [{worker.pid}]" in started, "a worker without the JSON log"
    assert any(line["logger"] == "app.access" and line["route"] == "/healthz" for line in lines)
