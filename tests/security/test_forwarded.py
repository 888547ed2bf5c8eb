"""Forwarded headers are believed only from ``MZ_FORWARDED_ALLOW_IPS`` (default: nobody).

Against a real ``python -m app serve``: a client that sends every failed token with a fresh
``X-Forwarded-For`` is still one client (its peer address), so the failure limit answers 429
and the audit log holds the peer address, not the forged ones. Behind a configured proxy the
forwarded address is the client's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.core.config import Settings
from tests.databases import TestDatabase
from tests.resilience.service import Service, serving

pytestmark = pytest.mark.slow


def test_the_default_failure_limit() -> None:
    assert Settings(_env_file=None).auth_fail_limit == 10
    assert Settings(_env_file=None).forwarded_allow_ips == ""


@pytest.fixture
async def database() -> AsyncIterator[str]:
    db = TestDatabase()
    url = await db.create()
    yield url
    await db.drop()


async def _bad_tokens(service: Service, count: int) -> list[int]:
    statuses = []
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as c:
        for i in range(count):
            r = await c.get(
                "/api/v1/recipients",
                headers={"Authorization": f"Bearer forged-{i}", "X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            statuses.append(r.status_code)
    return statuses


async def _denials(service: Service) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as c:
        r = await c.get(
            "/api/v1/audit/events",
            params={"action": "auth.*", "limit": "100"},
            headers=service.headers("auditor", region="330500"),
        )
    assert r.status_code == 200, r.text
    items: list[dict[str, object]] = r.json()["items"]
    return items


async def test_fresh_forwarded_addresses_do_not_escape_the_limit(database: str) -> None:
    async with serving(database, MZ_AUTH_FAIL_LIMIT="10") as service:
        statuses = await _bad_tokens(service, 12)
        assert statuses == [401] * 10 + [429] * 2
        events = await _denials(service)
    assert events
    assert {e["client_addr"] for e in events} == {"127.0.0.1"}
    assert all("203.0.113." not in str(e) for e in events)


async def test_a_configured_proxy_is_believed(database: str) -> None:
    async with serving(database, MZ_AUTH_FAIL_LIMIT="10", MZ_FORWARDED_ALLOW_IPS="127.0.0.1") as service:
        statuses = await _bad_tokens(service, 12)
        assert statuses == [401] * 12  # twelve clients behind the proxy, one failure each
        events = await _denials(service)
    assert {e["client_addr"] for e in events} == {f"203.0.113.{i}" for i in range(1, 13)}
