"""Real nodes for sync tests: each a ``python -m app serve`` process on 127.0.0.1 with its own
database (a PostgreSQL database when the suite runs on PostgreSQL, a SQLite file otherwise),
its own secrets and PII keys, and ``MZ_SYNC_PEERS`` naming the other nodes' real URLs with
tokens signed by each peer's own JWT secret.

    cluster = Cluster()
    county = cluster.add("wuxing", "330502")
    city = cluster.add("huzhou", "330500")
    cluster.link(parent=city, child=county)       # city pulls county; county pulls city
    await cluster.start()
    ...
    await cluster.close()                          # stops every process, drops every database
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.security.tokens import mint
from tests.databases import TestDatabase

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 90.0


async def wait_for_horizon(database_url: str, timeout_s: float = 60) -> None:
    """Wait until the feed may serve every row in this database's change log.

    On PostgreSQL the feed serves a transaction's rows once every older transaction on the
    *server* has ended; on a server shared with busy databases that lags by a moment. (SQLite
    has nothing to wait for.) Rows are held back, never lost: this only makes "pull once and
    compare" deterministic."""
    if not database_url.startswith("postgresql"):
        return
    engine = create_async_engine(database_url)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            async with engine.connect() as conn:
                final = (
                    await conn.execute(
                        text(
                            "SELECT coalesce(pg_snapshot_xmin(pg_current_snapshot()) "
                            "> (SELECT max(xid) FROM change_log), true)"
                        )
                    )
                ).scalar_one()
            if final:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("a transaction on the server held the feed horizon back")
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


def free_port() -> int:
    """A port to listen on, below the kernel's ephemeral range: a port the kernel handed out
    (bind to 0) may go to an outgoing connection before the server binds it."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(20_000, 32_000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


@dataclass
class Peer:
    name: str
    node: ClusterNode
    relation: str
    via: str | None = None  # another base URL (a fault-injecting proxy) instead of the node's own


@dataclass
class ClusterNode:
    name: str
    region: str
    workdir: Path
    port: int = field(default_factory=free_port)
    jwt_secret: str = field(default_factory=lambda: base64.b64encode(os.urandom(24)).decode())
    cursor_secret: str = field(default_factory=lambda: base64.b64encode(os.urandom(24)).decode())
    pii_key: str = field(default_factory=lambda: base64.b64encode(os.urandom(32)).decode())
    index_key: str = field(default_factory=lambda: base64.b64encode(os.urandom(24)).decode())
    peers: list[Peer] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    database: TestDatabase = field(default_factory=TestDatabase)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return self.database.url

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def signing_settings(self) -> Settings:
        return Settings(_env_file=None, jwt_secret=self.jwt_secret, node_region=self.region)

    def token(self, *roles: str, region: str | None = None, sub: str = "cluster-test") -> str:
        """A token this node accepts."""
        return mint(self.signing_settings(), sub=sub, roles=list(roles), region=region or self.region)

    def headers(self, *roles: str, region: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, region=region)}"}

    def peer_config(self) -> list[dict[str, Any]]:
        out = []
        for peer in self.peers:
            # A parent reads its child's own region; a child reads reference data in its parent's.
            scope = self.region if peer.relation == "child" else peer.node.region
            out.append(
                {
                    "name": peer.name,
                    "base_url": peer.via or peer.node.base_url,
                    "relation": peer.relation,
                    "token": peer.node.token("sync", region=scope, sub=f"node-{self.region}"),
                }
            )
        return out

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment of this node's processes (the server and CLI commands alike)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("MZ_")}
        base.update(
            {
                "MZ_ENV": "test",
                "MZ_DATABASE_URL": self.database_url,
                "MZ_NODE_REGION": self.region,
                "MZ_NODE_NAME": self.name,
                "MZ_JWT_SECRET": self.jwt_secret,
                "MZ_CURSOR_SECRET": self.cursor_secret,
                "MZ_PII_KEYS": json.dumps({"k1": self.pii_key}),
                "MZ_PII_ACTIVE_KEY": "k1",
                "MZ_PII_INDEX_KEY": self.index_key,
                "MZ_SYNC_PEERS": json.dumps(self.peer_config()),
                "MZ_LOG_LEVEL": "WARNING",
                "MZ_AUTH_FAIL_LIMIT": "1000000",
                "MZ_DB_POOL_SIZE": "5",
                "PYTHONUNBUFFERED": "1",
            }
        )
        base.update(self.extra_env)
        base.update(overrides)
        return base

    def spawn(self) -> None:
        """Start the server process (on the same port and database when restarted)."""
        assert self.process is None or self.process.poll() is not None, f"{self.name} is running"
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    async def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"node {self.name} exited:\n{self.log_tail()}")
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        # Ours, not another process on the port: it accepts our own token.
                        mine = await client.get("/api/v1/sync/peers", headers=self.headers("admin"))
                        if mine.status_code == 200:
                            return
                        raise RuntimeError(f"another server answers on port {self.port}")
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"node {self.name} did not become ready:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=60, **kwargs)

    async def settled(self) -> None:
        """Every committed change of this node can be served (see :func:`wait_for_horizon`)."""
        await wait_for_horizon(self.database_url)

    async def pull(self, peer: str) -> dict[str, Any]:
        """A pull through the admin endpoint of this node's running server."""
        source = next((p.node for p in self.peers if p.name == peer), None)
        if source is not None:
            await source.settled()
        async with self.client() as c:
            r = await c.post(f"/api/v1/sync/peers/{peer}/pull", headers=self.headers("admin"))
        assert r.status_code == 200, f"{self.name} pull {peer}: {r.status_code} {r.text}\n{self.log_tail()}"
        body: dict[str, Any] = r.json()
        return body

    async def cli_pull(self, peer: str) -> subprocess.CompletedProcess[str]:
        """``python -m app sync pull PEER`` once the peer's changes can all be served."""
        source = next(p.node for p in self.peers if p.name == peer)
        await source.settled()
        return await asyncio.to_thread(self.cli, "sync", "pull", peer)

    def cli(self, *args: str, timeout_s: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        """``python -m app ARGS`` with this node's environment."""
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            env=self.env(**env),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def cli_background(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "app", *args],
            env=self.env(**env),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    async def digest(self, entities: list[str], region_code: str) -> list[dict[str, Any]]:
        async with self.client() as c:
            r = await c.get(
                "/api/v1/sync/digest",
                params={"entities": ",".join(entities), "region_code": region_code},
                headers=self.headers("admin", region=region_code),
            )
        assert r.status_code == 200, r.text
        return list(r.json()["entries"])


class Cluster:
    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="mz-cluster-"))
        self.nodes: dict[str, ClusterNode] = {}

    def add(self, name: str, region: str, **env: str) -> ClusterNode:
        node = ClusterNode(name=name, region=region, workdir=self.workdir, extra_env=dict(env))
        self.nodes[name] = node
        return node

    @staticmethod
    def link(parent: ClusterNode, child: ClusterNode, *, parent_pulls_via: str | None = None) -> None:
        """The parent pulls the child's records; the child pulls reference data from the parent."""
        parent.peers.append(Peer(child.name, child, "child", via=parent_pulls_via))
        child.peers.append(Peer(parent.name, parent, "parent"))

    async def start(self) -> None:
        """Create every database, start every server (they migrate in parallel), wait for all."""
        await asyncio.gather(*(n.database.create(migrate=False) for n in self.nodes.values()))
        for node in self.nodes.values():
            node.spawn()
        try:
            await asyncio.gather(*(n.wait_ready() for n in self.nodes.values()))
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        for node in self.nodes.values():
            node.stop()
        for node in self.nodes.values():
            with contextlib.suppress(Exception):
                await node.database.drop()
        for path in self.workdir.glob("*"):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.workdir.rmdir()
