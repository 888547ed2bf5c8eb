"""The HTTP surface: problem+json for every error, request ids, health, metrics, docs."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import TokenFactory

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert "type" in body
    assert "Traceback" not in response.text
    return body


async def test_malformed_json_is_400(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.post(
        "/api/v1/regions",
        content=b'{"code": "3305',
        headers={**auth("admin"), "content-type": "application/json"},
    )
    assert_problem(r, 400)


async def test_schema_violation_is_422_with_locations(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.post("/api/v1/regions", json={"code": "33", "name": ""}, headers=auth("admin"))
    body = assert_problem(r, 422)
    locs = [e["loc"] for e in body["errors"]]
    assert ["body", "code"] in locs
    assert ["body", "name"] in locs


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nothing-here"), 404)


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    r = await client.delete("/healthz")
    assert_problem(r, 405)
    assert "GET" in r.headers["allow"]


async def test_oversized_body_is_413(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    big = b'{"code": "330599", "name": "' + b"x" * 2_000_000 + b'"}'
    r = await client.post(
        "/api/v1/regions", content=big, headers={**auth("admin"), "content-type": "application/json"}
    )
    assert_problem(r, 413)


async def test_non_json_body_is_415(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.post(
        "/api/v1/regions",
        content=b"code=330599",
        headers={**auth("admin"), "content-type": "application/x-www-form-urlencoded"},
    )
    assert_problem(r, 415)


async def test_nul_in_query_or_json_is_400_on_every_engine(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    headers = auth("admin")
    body = assert_problem(await client.get("/api/v1/recipients?q=a%00b", headers=headers), 400)
    assert "NUL" in body["detail"]
    r = await client.post(
        "/api/v1/regions",
        content=b'{"code": "330599", "name": "a\\u0000b"}',
        headers={**headers, "content-type": "application/json"},
    )
    assert "NUL" in assert_problem(r, 400)["detail"]
    # An escaped backslash followed by "u0000" is ordinary text, not a NUL: the request gets
    # past the door and fails only on its invalid region code.
    r = await client.post(
        "/api/v1/regions",
        content=b'{"code": "33", "name": "a\\\\u0000b"}',
        headers={**headers, "content-type": "application/json"},
    )
    assert [e["loc"] for e in assert_problem(r, 422)["errors"]] == [["body", "code"]]


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["migration"] == ready.json()["expected_migration"]


async def test_metrics_count_requests_per_route(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    assert 'mzbrain_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "mzbrain_http_request_duration_seconds_bucket" in text
    assert "mzbrain_db_pool_connections" in text


async def test_docs_load_nothing_from_outside(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        html = (await client.get(page)).text
        hosts = re.findall(r"""(?:src|href)=["'](https?:)?//([^/"']+)""", html)
        assert hosts == [], f"{page} names external hosts: {hosts}"
        for asset in re.findall(r"""(?:src|href)=["'](/[^"']+)""", html):
            assert (await client.get(asset)).status_code == 200, asset


async def test_access_log_has_route_not_raw_path(
    client: httpx.AsyncClient, auth: TokenFactory, caplog
) -> None:
    caplog.set_level("INFO", logger="app.access")
    await client.get("/api/v1/regions/330502", headers=auth("viewer"))
    records = [r for r in caplog.records if r.name == "app.access"]
    assert records
    last = records[-1]
    assert last.route == "/api/v1/regions/{code}"
    assert last.status == 200
