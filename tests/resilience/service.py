"""The service as ops run it — ``python -m app serve`` in a process of its own — for tests that
need real worker processes or a real network between the service and its database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from app.security.tokens import mint
from tests.conftest import NODE_REGION, make_settings
from tests.factories import id_number

ROOT = Path(__file__).resolve().parents[2]


def listening_inodes(port: int) -> set[int]:
    """Inodes of the sockets listening on ``port`` (IPv4), from /proc/net/tcp."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], int(fields[9])
        if state == "0A" and int(local.split(":")[1], 16) == port:
            out.add(inode)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    database_url: str
    log: Path

    def headers(self, *roles: str, sub: str = "resilience", region: str = NODE_REGION) -> dict[str, str]:
        token = mint(make_settings(self.database_url), sub=sub, roles=list(roles), region=region)
        return {"Authorization": f"Bearer {token}"}

    def workers(self) -> list[psutil.Process]:
        """The worker processes (the server process itself when it runs one worker)."""
        master = psutil.Process(self.process.pid)
        spawned = [p for p in master.children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]
        return spawned or [master]

    def connections_per_worker(self) -> dict[int, int]:
        """Established client connections each worker holds on the service port."""
        out = {}
        for worker in self.workers():
            out[worker.pid] = sum(
                1
                for c in worker.net_connections(kind="tcp")
                if c.laddr and c.laddr.port == self.port and c.status == psutil.CONN_ESTABLISHED
            )
        return out

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextlib.asynccontextmanager
async def serving(database_url: str, *, workers: int = 1, **env: str) -> AsyncIterator[Service]:
    """Start ``python -m app serve`` on a free port against ``database_url`` (migrated already),
    wait until ``/readyz`` answers 200, stop it (and its workers) afterwards."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="mz-serve-", suffix=".log")[1])
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MZ_")}
    environment.update(
        {
            "MZ_DATABASE_URL": database_url,
            "MZ_ENV": "test",
            "MZ_NODE_REGION": NODE_REGION,
            "MZ_LOG_LEVEL": "WARNING",
            "MZ_AUTH_FAIL_LIMIT": "1000",
            **env,
        }
    )
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-migrate",
            ],
            env=environment,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service(f"http://127.0.0.1:{port}", port, process, database_url, log)
    try:
        await _wait_ready(service, workers)
        try:
            yield service
        except BaseException:
            print(f"service output:\n{service.output()}")  # shown with the failure
            raise
    finally:
        _stop(process)
        log.unlink(missing_ok=True)


async def _wait_ready(service: Service, workers: int, timeout_s: float = 120) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with httpx.AsyncClient(base_url=service.base_url, timeout=2) as client:
        while loop.time() < deadline:
            if service.process.poll() is not None:
                raise AssertionError(f"the service exited:\n{service.output()}")
            with contextlib.suppress(httpx.HTTPError):
                ready = (await client.get("/readyz")).status_code == 200
                # Every worker listening: one that is still starting has not joined the port yet.
                listening = workers == 1 or len(listening_inodes(service.port)) == workers
                if ready and len(service.workers()) == workers and listening:
                    return
            await asyncio.sleep(0.2)
    raise AssertionError(f"the service did not become ready:\n{service.output()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.asynccontextmanager
async def pinned_clients(
    service: Service, per_worker: int = 4, attempts: int = 120
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """HTTP clients of one keep-alive connection each, ``per_worker`` of them on every worker
    (interleaved): requests spread over them reach every worker.

    Each worker listens on its own socket and the kernel hashes each new connection to one of
    them, so which worker gets a connection is chance. Connections opened one at a time are
    owned by the worker whose count of established connections went up."""
    workers = [p.pid for p in service.workers()]
    pinned: dict[int, list[httpx.AsyncClient]] = {pid: [] for pid in workers}
    opened: list[httpx.AsyncClient] = []
    try:
        for _ in range(attempts):
            before = service.connections_per_worker()
            client = httpx.AsyncClient(
                base_url=service.base_url, timeout=60, limits=httpx.Limits(max_connections=1)
            )
            opened.append(client)
            await client.get("/healthz")
            after = service.connections_per_worker()
            owners = [pid for pid in workers if after.get(pid, 0) > before.get(pid, 0)]
            if len(owners) == 1 and len(pinned[owners[0]]) < per_worker:
                pinned[owners[0]].append(client)
            if all(len(c) == per_worker for c in pinned.values()):
                break
            await asyncio.sleep(0.01)
        counts = {pid: len(c) for pid, c in pinned.items()}
        assert all(n == per_worker for n in counts.values()), f"could not reach every worker: {counts}"
        yield [c for group in zip(*pinned.values(), strict=True) for c in group]
    finally:
        for client in opened:
            await client.aclose()


def is_problem(response: httpx.Response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers.get("content-type", "").startswith("application/problem+json")
        and response.json().get("status") == status
    )


LEAKS = ("Traceback", "asyncpg", "sqlalchemy", "psycopg", "postgres", "sqlite", 'File "', "Error:")


def leaks(response: httpx.Response) -> list[str]:
    """Internals a problem body must never show."""
    return [word for word in LEAKS if word.lower() in response.text.lower()]


def household(k: int, region: str = "330502001000") -> dict[str, Any]:

    return {
        "region_code": region,
        "category": "dibao",
        "monthly_income": f"{k % 900}.00",
        "members": [
            {"name": "张伟", "id_number": id_number("330502"), "relation": "head"},
            {"name": "李娜", "id_number": id_number("330502"), "relation": "spouse"},
        ],
    }
