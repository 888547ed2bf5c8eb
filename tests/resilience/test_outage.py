"""A database outage under light load, with the service in a process of its own.

PostgreSQL itself is never stopped: a TCP proxy in this test stands between the service and
the server, and "stopping the database" closes every proxied connection and the listener (new
connections are refused); "restarting" it listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.resilience.service import Service, household, is_problem, leaks, serving

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

OUTAGE_S = 10.0
HANG_BOUND_S = 10.0  # generous: a request that takes longer than this is a hang, not a slow answer


class DatabaseProxy:
    """127.0.0.1:port → the PostgreSQL server, with a switch."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._open: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop_database(self) -> None:
        """Refuse new connections and cut the open ones."""
        assert self._server is not None
        self._server.close()
        for client, upstream in list(self._open):
            client.transport.abort()
            upstream.transport.abort()
        self._open.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)
        self._server = None

    async def start_database(self) -> None:
        await self.start()

    async def close(self) -> None:
        if self._server is not None:
            await self.stop_database()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self.accepted += 1
        pair = (writer, up_writer)
        self._open.add(pair)
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._open.discard(pair)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()


@dataclass
class Call:
    what: str
    started: float
    ended: float
    status: int
    problem_ok: bool
    leaked: list[str]
    household_id: str | None = None


async def _call(what: str, request: Awaitable[httpx.Response], log: list[Call]) -> httpx.Response:
    started = time.monotonic()
    response = await request
    ended = time.monotonic()
    status = response.status_code
    problem_ok = status < 400 or is_problem(response, status)
    hid = response.json().get("id") if status == 201 else None
    log.append(Call(what, started, ended, status, problem_ok, leaks(response) if status >= 400 else [], hid))
    return response


async def _client_loop(
    client: httpx.AsyncClient, headers: dict[str, str], stop: asyncio.Event, log: list[Call], k: int
) -> None:
    n = 0
    listing = {"region_code": "330502", "limit": "10"}
    while not stop.is_set():
        n += 1
        created = await _call(
            "create", client.post("/api/v1/recipients", json=household(k * 1000 + n), headers=headers), log
        )
        if created.status_code == 201:
            hid = created.json()["id"]
            await _call("get", client.get(f"/api/v1/recipients/{hid}", headers=headers), log)
        await _call("list", client.get("/api/v1/recipients", params=listing, headers=headers), log)
        await asyncio.sleep(0.05)


async def _wait_for(client: httpx.AsyncClient, path: str, status: int, timeout_s: float) -> float:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        try:
            if (await client.get(path)).status_code == status:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path} did not answer {status} within {timeout_s} s")


async def test_the_service_rides_out_a_database_outage(fresh_db: Callable[..., Any]) -> None:
    url = await fresh_db("postgresql")
    real = make_url(url)
    proxy = DatabaseProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        async with serving(proxied, MZ_DB_POOL_SIZE="5") as service:
            await _outage(service, proxy, url)
    finally:
        await proxy.close()


async def _outage(service: Service, proxy: DatabaseProxy, url: str) -> None:
    operator = service.headers("operator", region="330502")
    pid = service.process.pid
    log: list[Call] = []
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
        clients = [asyncio.create_task(_client_loop(client, operator, stop, log, k)) for k in range(4)]
        try:
            await asyncio.sleep(2)
            down = time.monotonic()
            await proxy.stop_database()
            unready = await _wait_for(client, "/readyz", 503, timeout_s=HANG_BOUND_S)
            readyz = await client.get("/readyz")
            await asyncio.sleep(max(0.0, down + OUTAGE_S - time.monotonic()))
            up = time.monotonic()
            await proxy.start_database()
            ready = await _wait_for(client, "/readyz", 200, timeout_s=30)
            await asyncio.sleep(2)
        finally:
            stop.set()
            results = await asyncio.gather(*clients, return_exceptions=True)
        assert not [r for r in results if isinstance(r, BaseException)], results

        # Writes work again without a restart.
        after = []
        for k in range(5):
            r = await client.post("/api/v1/recipients", json=household(900_000 + k), headers=operator)
            after.append(r.status_code)
        verify = await client.get("/api/v1/audit/verify", headers=service.headers("auditor"))

    assert service.process.poll() is None, "the service kept running"
    assert service.process.pid == pid
    assert readyz.status_code == 503
    assert readyz.json()["database"] == "unreachable"
    assert unready - down < HANG_BOUND_S

    statuses = {c.status for c in log}
    assert statuses <= {200, 201, 503}, sorted(statuses)
    during = [c for c in log if c.started >= down + 1 and c.ended <= up]
    assert len(during) >= 8, "the clients should keep calling through the outage"
    assert {c.status for c in during} == {503}
    assert all(c.problem_ok for c in log), [c for c in log if not c.problem_ok][:3]
    assert not [c for c in log if c.leaked], [c for c in log if c.leaked][:3]
    slowest = max(c.ended - c.started for c in log)
    assert slowest < HANG_BOUND_S, f"a request took {slowest:.1f} s"
    recovered = [c for c in log if c.started >= ready]
    assert any(c.status == 201 for c in recovered)
    assert after == [201] * 5
    assert any(c.status == 201 for c in log if c.ended <= down), "load ran before the outage"

    # No partial writes: every household stored has both its members; every acknowledged one is there.
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT h.id::text AS id, count(m.id) AS members FROM recipient_household h "
            "LEFT JOIN recipient_member m ON m.household_id = h.id GROUP BY h.id"
        )
    finally:
        await conn.close()
    stored = {r["id"]: r["members"] for r in rows}
    acknowledged = {c.household_id for c in log if c.household_id}
    attempted = sum(1 for c in log if c.what == "create") + len(after)
    assert set(stored.values()) == {2}, stored
    assert acknowledged <= set(stored)
    assert len(acknowledged) + after.count(201) <= len(stored) <= attempted

    assert verify.status_code == 200, verify.text
    assert verify.json()["ok"] is True, verify.json()
    assert verify.json()["checked"] >= len(stored)
