"""``serve --workers N`` as ops run it: each worker listens on its own socket (SO_REUSEPORT), so
a burst of new connections — a proxy opening its pool — spreads over the workers instead of
landing on whichever wakes first; a worker that dies is replaced; SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator

import httpx
import psutil
import pytest

from tests.databases import TestDatabase
from tests.resilience.service import Service, listening_inodes, serving

pytestmark = pytest.mark.slow

BURST = 64


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    database = TestDatabase()
    url = await database.create()
    try:
        yield url
    finally:
        await database.drop()


async def _burst(service: Service) -> tuple[list[httpx.AsyncClient], dict[int, int]]:
    """Open BURST connections at once (one client each), answer on all of them, and read which
    worker holds each while they are still open."""
    clients = [
        httpx.AsyncClient(base_url=service.base_url, timeout=30, limits=httpx.Limits(max_connections=1))
        for _ in range(BURST)
    ]
    answers = await asyncio.gather(*(c.get("/healthz") for c in clients))
    assert all(r.status_code == 200 for r in answers)
    return clients, service.connections_per_worker()


def _socket_inodes(pid: int) -> set[int]:
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                out.add(int(target[8:-1]))
    return out


async def test_each_worker_listens_on_its_own_socket(database_url: str) -> None:
    async with serving(database_url, workers=2) as service:
        listening = listening_inodes(service.port)
        owned = {w.pid: _socket_inodes(w.pid) & listening for w in service.workers()}
        assert len(owned) == 2, owned
        assert all(len(s) == 1 for s in owned.values()), owned
        first, second = owned.values()
        assert first != second, "the workers share one listening socket"
        assert not _socket_inodes(service.process.pid) & listening, "the supervisor listens too"


async def test_a_burst_of_connections_spreads_over_the_workers(database_url: str) -> None:
    async with serving(database_url, workers=2) as service:
        clients, counts = await _burst(service)
        try:
            assert len(counts) == 2, counts
            assert sum(counts.values()) == BURST, counts
            # Hashed over two sockets: fewer than 12 of 64 on one worker has a chance of 1e-6.
            assert min(counts.values()) >= 12, f"connections landed unevenly: {counts}"
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))


async def test_a_worker_that_dies_is_replaced(database_url: str) -> None:
    async with serving(database_url, workers=2) as service:
        killed = service.workers()[0]
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            workers = [w for w in service.workers() if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
            if len(workers) == 2 and killed.pid not in {w.pid for w in workers}:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"no replacement worker: {service.output()}")
        # Both workers answer again: new connections reach each of them.
        for _ in range(100):
            clients, counts = await _burst(service)
            await asyncio.gather(*(c.aclose() for c in clients))
            if all(n > 0 for n in counts.values()):
                break
        assert len(counts) == 2, counts
        assert all(n > 0 for n in counts.values()), counts
        assert "exited with code" in service.output()


async def test_sigterm_stops_every_worker(database_url: str) -> None:
    async with serving(database_url, workers=2) as service:
        workers = service.workers()
        assert len(workers) == 2
        os.kill(service.process.pid, signal.SIGTERM)  # the supervisor only, as an orchestrator does
        try:
            code = service.process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the node did not stop: {service.output()}") from None
        assert code == 0, service.output()
        _gone, alive = psutil.wait_procs(workers, timeout=5)
        assert not alive, f"workers left running: {[p.pid for p in alive]}"
