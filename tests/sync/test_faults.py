"""Faults between real processes: a county server and a city server on 127.0.0.1, the city
pulling through a fault-injecting HTTP proxy run by the test. Connection resets, 500s, slow
and truncated responses are retried; a child killed mid-pull and restarted, a puller killed
right after a page arrived, and a child restored with a new epoch all end with the same
digests on both sides and no change applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.recipient.helpers import household
from tests.sync.cluster import Cluster, ClusterNode, free_port

pytestmark = pytest.mark.slow

COUNTY = "330502"
BUSINESS = ["recipient_household", "recipient_member", "recipient_transition"]
FEED = "/api/v1/sync/changes"


@dataclass
class Exchange:
    path: str
    fault: str
    status: int | None


@dataclass
class FaultProxy:
    """HTTP/1.1 between the puller and a node, one upstream connection per request.

    ``faults`` are used up by feed requests in order: ``pass``, ``reset`` (RST before any
    answer), ``500``, ``slow:<seconds>``, ``cut`` (half the answer, then RST). ``on_answer`` is
    called after each feed answer was passed on whole."""

    upstream_port: int
    port: int = field(default_factory=free_port)
    faults: list[str] = field(default_factory=list)
    default: str = "pass"
    log: list[Exchange] = field(default_factory=list)
    on_answer: Callable[[int], None] | None = None
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def close(self) -> None:
        """Stop listening, and end the exchanges still under way (a connection the puller left
        open, a slow answer): each closes its sockets before the test's loop ends."""
        if self._server is not None:
            self._server.close()
            for task in self._handlers:
                task.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            await asyncio.sleep(0)  # the transports closed above let go of their sockets

    def feed_answers(self) -> int:
        return sum(1 for e in self.log if e.path.startswith(FEED) and e.status == 200 and e.fault != "cut")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            await self._exchange(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            _reset(writer)
        finally:
            writer.close()
            if task is not None:
                self._handlers.discard(task)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode()
        is_feed = path.startswith(FEED)
        fault = (self.faults.pop(0) if self.faults else self.default) if is_feed else "pass"
        exchange = Exchange(path, fault, None)
        self.log.append(exchange)
        if fault == "reset":
            _reset(writer)
            return
        if fault == "500":
            body = b'{"title":"injected"}'
            writer.write(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            await writer.drain()
            exchange.status = 500
            return
        if fault.startswith("slow:"):
            await asyncio.sleep(float(fault.split(":", 1)[1]))
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            lines = [
                line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:") and line
            ]
            up_writer.write(b"\r\n".join([*lines, b"Connection: close", b"", b""]))
            await up_writer.drain()
            answer = await up_reader.read()  # the upstream closes after one answer
        finally:
            up_writer.close()
        if not answer:
            _reset(writer)
            return
        exchange.status = int(answer.split(b" ", 2)[1])
        if fault == "cut":
            writer.write(answer[: len(answer) // 2])
            await writer.drain()
            _reset(writer)
            return
        writer.write(answer)
        await writer.drain()
        if is_feed and self.on_answer is not None and exchange.status == 200:
            self.on_answer(self.feed_answers())


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass
class Pair:
    county: ClusterNode
    city: ClusterNode
    proxy: FaultProxy


@pytest.fixture(scope="module")
async def pair() -> AsyncIterator[Pair]:
    cluster = Cluster()
    county = cluster.add("wuxing", COUNTY)
    city = cluster.add(
        "huzhou", "330500", MZ_SYNC_PAGE_SIZE="10", MZ_SYNC_TIMEOUT_S="2", MZ_SYNC_MAX_RETRIES="4"
    )
    proxy = FaultProxy(upstream_port=county.port)
    cluster.link(parent=city, child=county, parent_pulls_via=proxy.url)
    await proxy.start()
    try:
        await cluster.start()
        yield Pair(county, city, proxy)
    finally:
        await cluster.close()
        await proxy.close()


async def _seed(county: ClusterNode, count: int) -> None:
    headers = county.headers("operator")
    gate = asyncio.Semaphore(6)
    async with county.client() as c:

        async def one() -> None:
            async with gate:
                r = await c.post("/api/v1/recipients", json=household(), headers=headers)
                assert r.status_code == 201, r.text

        await asyncio.gather(*(one() for _ in range(count)))


async def _sql(node: ClusterNode, statement: str) -> list[Any]:
    engine = create_async_engine(node.database_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement))
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _assert_converged(pair: Pair) -> None:
    at_county = await pair.county.digest(BUSINESS, COUNTY)
    assert at_county
    assert await pair.city.digest(BUSINESS, COUNTY) == at_county
    twice = await _sql(
        pair.city,
        "SELECT entity, record_id, version, count(*) FROM change_log "
        "GROUP BY entity, record_id, version HAVING count(*) > 1",
    )
    assert twice == [], "a change was applied twice at the city"


async def _peer(node: ClusterNode, name: str) -> dict[str, Any]:
    async with node.client() as c:
        r = await c.get("/api/v1/sync/peers", headers=node.headers("admin"))
    assert r.status_code == 200, r.text
    found: dict[str, Any] = next(p for p in r.json() if p["name"] == name)
    return found


async def _wait_exit(proc: subprocess.Popen[str], timeout_s: float = 60) -> tuple[int, str, str]:
    out, err = await asyncio.to_thread(proc.communicate, timeout=timeout_s)
    return proc.returncode, out, err


async def test_resets_500s_slow_and_cut_answers_are_retried(pair: Pair) -> None:
    first = await pair.city.pull("wuxing")  # an empty full resync sets the feed cursor
    assert first["kind"] == "full"
    await _seed(pair.county, 30)
    pair.proxy.log.clear()
    pair.proxy.faults = ["reset", "pass", "500", "pass", "slow:3", "pass", "cut", "pass", "500", "reset"]
    session = await pair.city.pull("wuxing")
    assert session["outcome"] == "ok"
    assert session["pages"] > 5
    seen = {e.fault for e in pair.proxy.log}
    assert {"reset", "500", "slow:3", "cut"} <= seen
    await _assert_converged(pair)
    again = await pair.city.pull("wuxing")
    assert (again["received"], again["applied"]) == (0, 0)


async def test_child_killed_mid_pull_then_restarted(pair: Pair) -> None:
    # A first pull, so the one under test follows the feed (a first ever pull is a snapshot).
    assert (await pair.city.pull("wuxing"))["outcome"] == "ok"
    await _seed(pair.county, 60)
    pair.proxy.default = "slow:0.15"
    killed: list[int] = []

    def kill_county(answers: int) -> None:
        # The puller reads a page ahead, so two answers can finish together and the count
        # seen here can skip a number: act on the first at or past the third, once.
        if answers >= 3 and not killed:
            killed.append(answers)
            pair.county.kill()

    pair.proxy.on_answer = kill_county
    pair.proxy.log.clear()
    await pair.county.settled()
    try:
        puller = pair.city.cli_background("sync", "pull", "wuxing", MZ_SYNC_MAX_RETRIES="1")
        code, _out, err = await _wait_exit(puller)
    finally:
        pair.proxy.default = "pass"
        pair.proxy.on_answer = None
    assert code == 1, err
    assert "unavailable" in err
    assert pair.county.process is not None
    assert pair.county.process.poll() is not None, "the child was killed"
    partial = await _peer(pair.city, "wuxing")
    assert "unavailable" in (partial["last_error"] or "")

    pair.county.spawn()  # same database, same port
    await pair.county.wait_ready()
    session = await pair.city.pull("wuxing")
    assert session["outcome"] == "ok"
    assert session["applied"] > 0
    await _assert_converged(pair)


async def test_puller_killed_after_a_page_arrived_then_rerun(pair: Pair) -> None:
    assert (await pair.city.pull("wuxing"))["outcome"] == "ok"  # the next pull follows the feed
    await _seed(pair.county, 60)
    pair.proxy.log.clear()
    puller: subprocess.Popen[str] | None = None

    def kill_puller(answers: int) -> None:
        # At or past the third answer (a page read ahead can finish with the one before it).
        if answers >= 3 and puller is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(puller.pid, signal.SIGKILL)

    pair.proxy.default = "slow:0.1"
    pair.proxy.on_answer = kill_puller
    await pair.county.settled()
    try:
        puller = pair.city.cli_background("sync", "pull", "wuxing")
        code, _out, _err = await _wait_exit(puller)
    finally:
        pair.proxy.default = "pass"
        pair.proxy.on_answer = None
    assert code == -signal.SIGKILL
    before = await _peer(pair.city, "wuxing")

    # The dead puller's lease keeps another worker out until it expires...
    busy = await asyncio.to_thread(pair.city.cli, "sync", "pull", "wuxing")
    assert busy.returncode == 1
    assert "another worker" in busy.stderr
    # ...so let it expire, as time would.
    await _sql(pair.city, "UPDATE sync_peer_state SET lease_until = NULL, lease_owner = NULL")
    done = await pair.city.cli_pull("wuxing")
    assert done.returncode == 0, done.stderr
    session = json.loads(done.stdout)
    assert session["outcome"] == "ok"
    after = await _peer(pair.city, "wuxing")
    assert after["records_applied"] > before["records_applied"]
    await _assert_converged(pair)
    verify = await asyncio.to_thread(pair.city.cli, "sync", "verify", "wuxing")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["digests_equal"] is True


async def test_child_restored_with_a_new_epoch_is_resynced(pair: Pair) -> None:
    await _seed(pair.county, 5)
    assert (await pair.city.pull("wuxing"))["outcome"] == "ok"
    pair.county.stop()
    restored = await asyncio.to_thread(pair.county.cli, "sync", "new-epoch")
    assert restored.returncode == 0, restored.stderr
    pair.county.spawn()
    await pair.county.wait_ready()
    await _seed(pair.county, 3)

    pair.proxy.log.clear()
    session = await pair.city.pull("wuxing")
    assert session["outcome"] == "ok"
    assert session["kind"] == "full"
    statuses = [(e.path.split("?")[0], e.status) for e in pair.proxy.log]
    assert (FEED, 410) in statuses
    assert any(path == "/api/v1/sync/snapshot" for path, _ in statuses)
    await _assert_converged(pair)
    again = await pair.city.pull("wuxing")
    assert (again["kind"], again["applied"]) == ("incremental", 0)
