"""Bad input: oversized, deeply nested, badly encoded, hostile or forged requests get a clean
4xx problem+json (never a 5xx, never internals in the body) and write nothing partial.

Runs in-process on the suite's engine (SQLite, or PostgreSQL with ``MZ_TEST_DATABASE_URL``).
The free-text matrix is driven by the OpenAPI document, so a new text field of a create or
update body, or a new free-text query parameter, is covered without touching this file.
"""

from __future__ import annotations

import base64
import copy
import csv
import hashlib
import hmac
import io
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.core.db import Database
from app.main import create_app
from tests.address.helpers import address, unique_road
from tests.assessment.helpers import body as assessment_body
from tests.charity_trust.helpers import trust
from tests.conftest import TokenFactory, make_settings
from tests.core.test_http import PROBLEM, assert_problem
from tests.factories import id_number, unique_suffix
from tests.recipient.helpers import household

API = "/api/v1"
EVERY_ROLE = ("admin", "operator", "auditor", "sync", "viewer")
# Words that only a leaked exception, stack trace or SQL statement would put in a body.
INTERNALS = re.compile(
    r"Traceback|File \"|sqlalchemy|asyncpg|aiosqlite|sqlite3|psycopg|SQLSTATE|"
    r"\bSELECT\b.*\bFROM\b|\bINSERT INTO\b|\(Background on this error",
    re.IGNORECASE | re.DOTALL,
)


def assert_clean(response: httpx.Response, *allowed: int) -> None:
    """A 2xx, or a problem+json 4xx, in ``allowed`` when given; never internals in an error."""
    status = response.status_code
    assert status < 500, f"{response.request.method} {response.request.url} → {status}: {response.text[:500]}"
    if allowed:
        assert status in allowed, f"{response.request.url} → {status}: {response.text[:500]}"
    if status >= 400:
        assert response.headers["content-type"].startswith(PROBLEM), response.text[:300]
        body = response.json()
        assert body["status"] == status
        assert not INTERNALS.search(response.text), response.text[:500]


@pytest.fixture
def every(auth: TokenFactory) -> dict[str, str]:
    return auth(*EVERY_ROLE)


async def _count(db: Database, table: str, where: str = "1=1", **params: Any) -> int:
    async with db.engine.connect() as conn:
        return int(
            (await conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params)).scalar_one()
        )


async def _chunked(data: bytes, size: int = 32 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _multipart(filename: str, data: bytes, ctype: str = "text/csv") -> tuple[bytes, str]:
    """A multipart/form-data body with one ``file`` part, and its content type."""
    request = httpx.Request("POST", "http://x/", files={"file": (filename, data, ctype)})
    return request.read(), request.headers["content-type"]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


ADDRESS_HEADER = ["region_code", "road", "house_number", "building", "aliases"]


def _address_rows(n: int, road: str, alias_bytes: int = 0) -> list[list[str]]:
    """``n`` addresses on ``road``; each with aliases of about ``alias_bytes`` bytes of UTF-8."""
    pad = "|".join(["别" * 60] * (alias_bytes // 180))
    return [["330502001000", road, str(i + 1), "1", f"{pad}|别名{i}".lstrip("|")] for i in range(n)]


RECIPIENT_HEADER = [
    "household_key",
    "region_code",
    "category",
    "monthly_income",
    "address_text",
    "name",
    "id_number",
    "relation",
]


def _recipient_rows(n: int, name: str = "张伟") -> list[list[str]]:
    return [
        [f"k{i}", "330502001000", "dibao", "800.00", "某路1号", name, id_number("330502"), "head"]
        for i in range(n)
    ]


# --- oversized bodies -------------------------------------------------------------------------


@pytest.fixture
async def small_app(app: FastAPI, database_url: str) -> FastAPI:
    """The same database behind limits small enough to cross cheaply: 64 KiB for JSON bodies,
    256 KiB for the import endpoints."""
    settings = make_settings(database_url, max_body_bytes=64 * 1024, import_max_body_bytes=256 * 1024)
    return create_app(settings, database=app.state.db)


@pytest.fixture
async def small(small_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=small_app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_oversized_json_body_is_413_and_writes_nothing(
    small: httpx.AsyncClient, every: dict[str, str], db: Database, streamed: bool
) -> None:
    road = unique_road()
    body = json.dumps(address(road=road, aliases=["甲" * 150] * 20) | {"pad": "x" * 80_000}).encode()
    headers = {**every, "content-type": "application/json"}
    r = await small.post(f"{API}/addresses", content=_chunked(body) if streamed else body, headers=headers)
    assert_problem(r, 413)
    assert_clean(r, 413)
    assert "bytes" in r.json()["detail"]
    assert await _count(db, "address", "road = :road", road=road) == 0
    # Under the limit, the same endpoint answers normally (the limit is the cause above).
    ok = await small.post(f"{API}/addresses", json=address(road=road), headers=every)
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_import_endpoints_take_their_larger_limit(
    small: httpx.AsyncClient, every: dict[str, str], db: Database, streamed: bool
) -> None:
    """A CSV of about 100 KiB passes on the import endpoint (over the JSON limit, under the
    import limit); a 300 KiB one is 413 and writes nothing."""
    road = unique_road()
    medium = _csv([ADDRESS_HEADER, *_address_rows(100, road, alias_bytes=1_000)])
    assert 64 * 1024 < len(medium) < 256 * 1024
    data, ctype = _multipart("a.csv", medium)
    r = await small.post(
        f"{API}/addresses/import",
        content=_chunked(data) if streamed else data,
        headers={**every, "content-type": ctype},
    )
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 100

    big_road = unique_road()
    big = _csv([ADDRESS_HEADER, *_address_rows(300, big_road, alias_bytes=1_000)])
    assert len(big) > 256 * 1024
    for path in ("addresses/import", "recipients/import"):
        data, ctype = _multipart("a.csv", big)
        r = await small.post(
            f"{API}/{path}",
            content=_chunked(data) if streamed else data,
            headers={**every, "content-type": ctype},
        )
        assert_clean(r, 413)
    assert await _count(db, "address", "road = :road", road=big_road) == 0


async def test_streamed_oversized_non_json_body_is_413(
    small: httpx.AsyncClient, every: dict[str, str]
) -> None:
    """A body that is not JSON and too large is refused for its size, streamed or not."""
    for content in (b"x" * 100_000, _chunked(b"x" * 100_000)):
        r = await small.post(
            f"{API}/regions", content=content, headers={**every, "content-type": "text/plain"}
        )
        assert_clean(r, 413)


# --- deeply nested JSON -----------------------------------------------------------------------


@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"a":', "}")], ids=["arrays", "objects"])
@pytest.mark.parametrize("depth", [100_000, 5_000, 500])
async def test_deeply_nested_json_is_refused(
    client: httpx.AsyncClient, every: dict[str, str], db: Database, opening: str, closing: str, depth: int
) -> None:
    road = unique_road()
    nested = opening * depth + "1" + closing * depth
    headers = {**every, "content-type": "application/json"}
    before = await _count(db, "address")
    for doc in (nested, json.dumps(address(road=road))[:-1] + f', "aliases": {nested}}}'):
        r = await client.post(f"{API}/addresses", content=doc.encode(), headers=headers)
        assert_clean(r, 400, 422)
    # In a field the service reads (assessment items are a free-form mapping).
    doc = json.dumps(assessment_body())[:-1] + f', "items": {{"eating": {nested}}}}}'
    assert_clean(await client.post(f"{API}/assessments", content=doc.encode(), headers=headers), 400, 422)
    assert await _count(db, "address") == before
    # The service still answers afterwards.
    assert (await client.get(f"{API}/regions/330502", headers=every)).status_code == 200
