"""The compose deployment: `scripts/deploy-env` writes the env files `compose.yaml` reads, the
compose file validates, and the nodes those files describe start in production mode and sync.

The last test runs the two nodes as the image runs them (`python -m app serve`, production mode,
nothing but the generated env file) on this machine instead of in containers; the container
smoke test brings the compose file itself up where podman can run it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml

from app.core.config import Settings
from tests.databases import IN_CI
from tests.factories import id_number
from tests.recipient.helpers import household
from tests.sync.cluster import Cluster, ClusterNode, free_port

ROOT = Path(__file__).resolve().parents[2]
NODES = {"city": "330500", "county": "330502"}


def read_env(path: Path) -> dict[str, str]:
    """An env file as compose reads it: KEY=VALUE per line, the value verbatim."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def deploy_env(out: Path, **env: str) -> dict[str, dict[str, str]]:
    subprocess.run(
        [str(ROOT / "scripts" / "deploy-env"), str(out)],
        env={**os.environ, "PYTHON": sys.executable, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return {f.stem: read_env(f) for f in out.glob("*.env")}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    deploy_env(tmp_path / "deploy")
    return tmp_path


def test_generated_secrets_pass_the_production_checks(project: Path):
    files = {f.stem: read_env(f) for f in (project / "deploy").glob("*.env")}
    assert set(files) == {"city", "county", "city-db", "county-db"}
    for name, region in NODES.items():
        env = files[name]
        assert env["MZ_ENV"] == "production"
        assert env["MZ_NODE_REGION"] == region
        assert f"@{name}-db:5432/" in env["MZ_DATABASE_URL"]
        assert files[f"{name}-db"]["POSTGRES_PASSWORD"] in env["MZ_DATABASE_URL"]
        values: dict[str, Any] = {k[3:].lower(): v for k, v in env.items()}
        settings = Settings(_env_file=None, **values)
        settings.check_production()  # raises on any development or weak secret
    secrets = ("MZ_JWT_SECRET", "MZ_PII_INDEX_KEY", "MZ_CURSOR_SECRET", "MZ_PII_KEYS")
    for key in secrets:
        assert files["city"][key] != files["county"][key], f"{key} shared by both nodes"
    assert (project / "deploy" / "city.env").stat().st_mode & 0o077 == 0, "env files readable by others"


def test_each_sync_token_is_signed_by_the_node_that_accepts_it(project: Path):
    city, county = (read_env(project / "deploy" / f"{n}.env") for n in ("city", "county"))
    (child,) = Settings(_env_file=None, sync_peers=city["MZ_SYNC_PEERS"]).sync_peers
    (parent,) = Settings(_env_file=None, sync_peers=county["MZ_SYNC_PEERS"]).sync_peers
    assert (child.relation, child.base_url) == ("child", "http://county:8000")
    assert child.region == "330502000000"  # pages with records outside the county are refused
    assert (parent.relation, parent.base_url) == ("parent", "http://city:8000")
    options: dict[str, Any] = {"algorithms": ["HS256"], "audience": "mzbrain", "issuer": "mzbrain"}
    claims = jwt.decode(child.token, county["MZ_JWT_SECRET"], **options)
    assert claims["roles"] == ["sync"]
    assert claims["region"] == "330500000000"
    claims = jwt.decode(parent.token, city["MZ_JWT_SECRET"], **options)
    assert claims["roles"] == ["sync"]
    assert claims["region"] == "330500000000"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(child.token, city["MZ_JWT_SECRET"], **options)


def test_existing_env_files_are_kept(project: Path):
    before = (project / "deploy" / "city.env").read_text()
    run = subprocess.run(
        [str(ROOT / "scripts" / "deploy-env"), str(project / "deploy")],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "exists" in run.stderr
    assert (project / "deploy" / "city.env").read_text() == before


def test_compose_file_is_valid(project: Path):
    compose = shutil.which("docker-compose")
    if compose is None:
        if IN_CI:
            pytest.fail("docker-compose is not installed (.ci/run installs it)")
        pytest.skip("docker-compose is not installed")
    run = subprocess.run(
        [compose, "-f", "compose.yaml", "config"], cwd=project, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    config = yaml.safe_load(run.stdout)
    services = config["services"]
    assert set(services) == {"city", "county", "city-db", "county-db"}
    for name, region in NODES.items():
        service = services[name]
        env = service["environment"]
        assert env["MZ_ENV"] == "production"
        assert env["MZ_NODE_REGION"] == region
        assert service["depends_on"] == {f"{name}-db": {"condition": "service_healthy"}}
        assert "POSTGRES_PASSWORD" in services[f"{name}-db"]["environment"]
        ctype = services[f"{name}-db"]["environment"]["POSTGRES_INITDB_ARGS"]
        assert "--lc-ctype=C.UTF-8" in ctype
        # Published on the host's loopback only.
        assert all(str(p).startswith("127.0.0.1:") for p in service["ports"])


@pytest.fixture
async def nodes(tmp_path: Path) -> AsyncIterator[dict[str, ClusterNode]]:
    ports = {name: free_port() for name in NODES}
    files = deploy_env(
        tmp_path / "deploy",
        CITY_URL=f"http://127.0.0.1:{ports['city']}",
        COUNTY_URL=f"http://127.0.0.1:{ports['county']}",
    )
    cluster = Cluster()
    for name, region in NODES.items():
        env = {k: v for k, v in files[name].items() if k != "MZ_DATABASE_URL"}
        node = cluster.add(name, region, **env, MZ_WORKERS="1")
        node.port = ports[name]
        node.jwt_secret = env["MZ_JWT_SECRET"]
    try:
        await cluster.start()
        yield cluster.nodes
    finally:
        await cluster.close()


async def pull(node: ClusterNode, peer: str) -> None:
    """A pull through the admin endpoint; the node's own scheduler (the peers have an interval)
    may hold the peer's lease at that moment, so a 409 is retried."""
    deadline = time.monotonic() + 60
    async with node.client() as c:
        while True:
            r = await c.post(f"/api/v1/sync/peers/{peer}/pull", headers=node.headers("admin"))
            if r.status_code != 409 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    assert r.status_code == 200, f"{node.name} pull {peer}: {r.status_code} {r.text}"


@pytest.mark.slow
async def test_the_generated_nodes_start_in_production_and_sync(nodes: dict[str, ClusterNode]):
    city, county = nodes["city"], nodes["county"]
    assert county.env()["MZ_ENV"] == "production"
    async with county.client() as c:
        members = [{"name": "沈明", "relation": "head", "id_number": id_number("330502")}]
        body = household(region="330502001000", members=members)
        r = await c.post("/api/v1/recipients", json=body, headers=county.headers("operator"))
        assert r.status_code == 201, r.text
        created = r.json()
        assert (await c.get("/metrics")).status_code == 401  # MZ_METRICS_TOKEN is set
    await county.settled()
    await pull(city, "wuxing")
    async with city.client() as c:
        r = await c.get(f"/api/v1/recipients/{created['id']}", headers=city.headers("viewer"))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == created["version"]
    # The county pulls reference data from the city with the token the city signed.
    await city.settled()
    await pull(county, "huzhou")
