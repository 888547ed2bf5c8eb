"""Production mode means it: real ``python -m app serve`` processes with ``MZ_ENV=production``.

Each refusal exits non-zero before listening (and before touching the database), naming every
setting at fault; each accepted configuration serves, and never takes a token signed with the
development secret — not even when HS256 is off because only public keys are configured.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.core.config import Settings
from app.core.defaults import DEV_CURSOR_SECRET, DEV_JWT_SECRET, DEV_PII_INDEX_KEY, DEV_PII_KEY
from app.security.tokens import mint
from tests.databases import TestDatabase
from tests.resilience.service import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ("MZ_JWT_SECRET", "MZ_PII_KEYS", "MZ_PII_INDEX_KEY", "MZ_CURSOR_SECRET", "MZ_METRICS_TOKEN")


def strong() -> dict[str, str]:
    """Settings production accepts, generated the way the README says."""
    return {
        "MZ_JWT_SECRET": secrets.token_urlsafe(48),
        "MZ_PII_KEYS": '{"k2026": "' + base64.b64encode(os.urandom(32)).decode() + '"}',
        "MZ_PII_ACTIVE_KEY": "k2026",
        "MZ_PII_INDEX_KEY": secrets.token_urlsafe(48),
        "MZ_CURSOR_SECRET": secrets.token_urlsafe(48),
    }


def _environment(database_url: str, env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MZ_")}
    base.update(
        {
            "MZ_ENV": "production",
            "MZ_DATABASE_URL": database_url,
            "MZ_NODE_REGION": "330500",
            "MZ_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    base.update(env)
    return base


def _start(
    database_url: str, env: dict[str, str], port: int, output: Any = subprocess.PIPE
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=_environment(database_url, env),
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT if output is not subprocess.PIPE else subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="mz-prod-") as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'never.db'}"


async def _refused(database_url: str, env: dict[str, str]) -> str:
    """Start a server that must refuse: it exits non-zero, never having listened; its stderr."""
    port = free_port()
    process = _start(database_url, env, port)
    try:
        _out, err = await asyncio.to_thread(process.communicate, timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode not in (0, None), f"started with {sorted(env)}:\n{err[-2000:]}"
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as c:
            await c.get("/healthz")
    return err


REFUSALS: list[tuple[str, dict[str, str], set[str]]] = [
    ("nothing set", {}, {"MZ_JWT_SECRET", "MZ_PII_KEYS", "MZ_PII_INDEX_KEY", "MZ_CURSOR_SECRET"}),
    ("weak cursor secret", {"MZ_CURSOR_SECRET": "abc"}, {"MZ_CURSOR_SECRET"}),
    ("weak index key", {"MZ_PII_INDEX_KEY": "abc"}, {"MZ_PII_INDEX_KEY"}),
    (
        "both weak",
        {"MZ_CURSOR_SECRET": "abc", "MZ_PII_INDEX_KEY": "abc"},
        {"MZ_CURSOR_SECRET", "MZ_PII_INDEX_KEY"},
    ),
    ("short JWT secret", {"MZ_JWT_SECRET": "x" * 31}, {"MZ_JWT_SECRET"}),
    ("development JWT secret", {"MZ_JWT_SECRET": DEV_JWT_SECRET}, {"MZ_JWT_SECRET"}),
    ("development index key", {"MZ_PII_INDEX_KEY": DEV_PII_INDEX_KEY}, {"MZ_PII_INDEX_KEY"}),
    ("development cursor secret", {"MZ_CURSOR_SECRET": DEV_CURSOR_SECRET}, {"MZ_CURSOR_SECRET"}),
    (
        "development PII key beside a real one",
        {
            "MZ_PII_KEYS": '{"k2026": "'
            + base64.b64encode(os.urandom(32)).decode()
            + f'", "dev": "{DEV_PII_KEY}"}}'
        },
        {"MZ_PII_KEYS"},
    ),
    (
        "16-byte PII key",
        {"MZ_PII_KEYS": '{"k2026": "' + base64.b64encode(os.urandom(16)).decode() + '"}'},
        {"MZ_PII_KEYS"},
    ),
    ("PII key not base64", {"MZ_PII_KEYS": '{"k2026": "not base64 at all!"}'}, {"MZ_PII_KEYS"}),
    (
        "PII key of one repeated byte",
        {"MZ_PII_KEYS": '{"k2026": "' + base64.b64encode(b"\x07" * 32).decode() + '"}'},
        {"MZ_PII_KEYS"},
    ),
    ("short metrics token", {"MZ_METRICS_TOKEN": "metrics"}, {"MZ_METRICS_TOKEN"}),
    (
        "PII keys not JSON",
        {"MZ_PII_KEYS": '{k2026: "c2VjcmV0LXZhbHVlLW5ldmVyLXByaW50ZWQ="}'},
        {"MZ_PII_KEYS"},
    ),
]


@pytest.mark.parametrize(("case", "bad", "named"), REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_production_refuses(sqlite_url: str, case: str, bad: dict[str, str], named: set[str]) -> None:
    env = {**strong(), **bad} if bad else {}
    err = await _refused(sqlite_url, env)
    for setting in named:
        assert setting in err, f"{case}: {setting} not named in:\n{err}"
    for setting in set(SETTINGS) - named:
        assert f"{setting}:" not in err, f"{case}: {setting} named though fine:\n{err}"
    assert "MZ_ENV=production refuses" in err or "invalid settings" in err
    for value in bad.values():
        if len(value) > 8:
            assert value not in err, "a secret's value is never printed"
    assert not Path(sqlite_url.split("///", 1)[1]).exists(), "refused before touching the database"


async def test_production_refuses_unreadable_public_keys(sqlite_url: str) -> None:
    env = {k: v for k, v in strong().items() if k != "MZ_JWT_SECRET"}
    err = await _refused(sqlite_url, {**env, "MZ_JWT_PUBLIC_KEYS": "/nonexistent/jwt.pem"})
    assert "MZ_JWT_PUBLIC_KEYS" in err


@contextlib.asynccontextmanager
async def _serving(env: dict[str, str]) -> AsyncIterator[str]:
    database = TestDatabase()
    url = await database.create(migrate=False)
    port = free_port()
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in the finally below
    process = _start(url, env, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient(base_url=base, timeout=2) as c:
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"exited {process.returncode}:\n{log.read()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await c.get("/readyz")).status_code == 200:
                        break
                assert time.monotonic() < deadline, "not ready in 120 s"
                await asyncio.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        await database.drop()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def development_token() -> str:
    """What ``python -m app token`` mints on any development install."""
    return mint(Settings(_env_file=None), sub="intruder", roles=["admin", "sync", "auditor"], region="330000")


PROBES = ("/api/v1/audit/events", "/api/v1/sync/changes", "/api/v1/recipients")


async def test_production_serves_on_strong_secrets_and_never_takes_a_development_token() -> None:
    env = strong()
    async with _serving(env) as base, httpx.AsyncClient(base_url=base, timeout=30) as c:
        own = mint(
            Settings(_env_file=None, jwt_secret=env["MZ_JWT_SECRET"]),
            sub="ops",
            roles=["admin", "sync", "auditor"],
            region="330500",
        )
        for path in PROBES:
            assert (await c.get(path, headers=_bearer(own))).status_code == 200, path
            refused = await c.get(path, headers=_bearer(development_token()))
            assert refused.status_code == 401, path
            assert refused.headers["content-type"].startswith("application/problem+json")
        assert (await c.get("/metrics")).status_code == 200  # no MZ_METRICS_TOKEN: open


async def test_public_keys_alone_turn_hs256_off() -> None:
    """MZ_JWT_PUBLIC_KEYS set, MZ_JWT_SECRET left unset: no HS256 token is taken at all."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as handle:
        handle.write(pem)
    env = {k: v for k, v in strong().items() if k != "MZ_JWT_SECRET"}
    env["MZ_JWT_PUBLIC_KEYS"] = handle.name
    env["MZ_METRICS_TOKEN"] = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "ops",
        "roles": ["admin", "sync", "auditor"],
        "region": "330000",
        "iss": "mzbrain",
        "aud": "mzbrain",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=10)).timestamp()),
    }
    rs256 = jwt.encode(claims, private, algorithm="RS256")
    try:
        async with _serving(env) as base, httpx.AsyncClient(base_url=base, timeout=30) as c:
            for path in PROBES:
                assert (await c.get(path, headers=_bearer(rs256))).status_code == 200, path
                assert (await c.get(path, headers=_bearer(development_token()))).status_code == 401, path
            metrics = await c.get("/metrics")
            assert metrics.status_code == 401
            assert (await c.get("/metrics", headers=_bearer("wrong"))).status_code == 401
            ok = await c.get("/metrics", headers=_bearer(env["MZ_METRICS_TOKEN"]))
            assert ok.status_code == 200
            assert "mzbrain_http_requests_total" in ok.text
        minted = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "app", "token", "--sub", "x", "--roles", "admin", "--region", "330500"],
            env=_environment("sqlite+aiosqlite:///:memory:", env),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert minted.returncode != 0
        assert "MZ_JWT_SECRET" in minted.stderr
    finally:
        Path(handle.name).unlink(missing_ok=True)
