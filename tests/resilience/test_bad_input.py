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
import itertools
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

import app as app_package
from app.address.components import NUMBER_FIELDS
from app.address.normalize import normalize_number, normalize_text
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
    assert r.json()["type"] == "urn:mzbrain:problem:payload-too-large"
    assert f"({64 * 1024} bytes)" in r.json()["detail"]
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
        assert r.json()["type"] == "urn:mzbrain:problem:payload-too-large"
        assert f"({256 * 1024} bytes)" in r.json()["detail"]
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
        assert r.json()["type"] == "urn:mzbrain:problem:payload-too-large"


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
        if r.status_code == 400:
            assert r.json()["type"] == "urn:mzbrain:problem:malformed-json", r.text
    # In a field the service reads (assessment items are a free-form mapping).
    doc = json.dumps(assessment_body())[:-1] + f', "items": {{"eating": {nested}}}}}'
    assert_clean(await client.post(f"{API}/assessments", content=doc.encode(), headers=headers), 400, 422)
    assert await _count(db, "address") == before
    # The service still answers afterwards.
    assert (await client.get(f"{API}/regions/330502", headers=every)).status_code == 200


# --- numeric query parameters -----------------------------------------------------------------


def _operations(app: FastAPI) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in app.openapi()["paths"].items():
        if path.startswith(API):
            for method, operation in operations.items():
                yield method.upper(), path, operation


def _leaf_types(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]


# Stand-ins for path parameters: a validation error is found before the record is looked up.
PATH_VALUES = {
    "code": "dibao_annual_standard",
    "period": "2022",
    "region_code": "330502",
    "name": "nobody",
    "rule": "address_without_coordinates",
    "dataset": "addresses",
    "id_number": "330502195003010011",
    "plate_code": "0000000000",
}


def _concrete(path: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return PATH_VALUES.get(name, "01a22662-ccce-7730-97f3-87c6795bed3b" if name.endswith("id") else name)

    return re.sub(r"\{(\w+)\}", fill, path)


def _integer_params(app: FastAPI) -> list[tuple[str, str]]:
    """(path, name) of every integer query parameter of every GET, path parameters filled in."""
    found = []
    for method, path, operation in _operations(app):
        if method != "GET":
            continue
        for param in operation.get("parameters", []):
            if param["in"] == "query" and any(
                s.get("type") == "integer" for s in _leaf_types(param["schema"])
            ):
                found.append((_concrete(path), param["name"]))
    return found


BAD_NUMBERS = [
    "10" * 20,
    "-1",
    "-99999999999999999999",
    "0x10",
    "abc",
    "1e3",
    "1.5",
    "",
    " ",
    "NaN",
    "∞",
    "١٢",
]


async def test_bad_numeric_query_parameters_are_422(
    app: FastAPI, client: httpx.AsyncClient, every: dict[str, str]
) -> None:
    params = _integer_params(app)
    assert ("/api/v1/recipients", "limit") in params
    assert ("/api/v1/charity-trusts/stats", "year") in params
    assert any("/payments" in path for path, _name in params)
    for path, name in params:
        for value in BAD_NUMBERS:
            r = await client.get(path, params={name: value}, headers=every)
            assert_clean(r, 422)
            assert ["query", name] in [e["loc"] for e in r.json()["errors"]], (path, name, value, r.text)
    # limit bounds: 0 and 501 are out, 1 and 500 are in.
    for value, status in (("0", 422), ("501", 422), ("1", 200), ("500", 200)):
        assert_clean(await client.get(f"{API}/recipients", params={"limit": value}, headers=every), status)
    # In a body, too.
    bad_limits: list[Any] = [10**30, -1, "abc", 1.5, None, [], {}]
    for bad in bad_limits:
        r = await client.post(f"{API}/addresses/match", json={"text": "人民路", "limit": bad}, headers=every)
        assert_clean(r, 422)


# --- invalid UTF-8 ----------------------------------------------------------------------------


async def test_invalid_utf8_in_json_body_is_400(
    client: httpx.AsyncClient, every: dict[str, str], db: Database
) -> None:
    road = unique_road()
    good = json.dumps(address(road=road), ensure_ascii=False).encode()
    headers = {**every, "content-type": "application/json"}
    for bad in (b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xe6\x88"):
        doc = good.replace(road.encode(), road.encode() + bad)
        r = await client.post(f"{API}/addresses", content=doc, headers=headers)
        assert_clean(r, 400, 422)
        if r.status_code == 400:
            assert r.json()["type"] == "urn:mzbrain:problem:malformed-json", r.text
        else:  # an encoded surrogate decodes (surrogatepass) and the field refuses it
            assert r.json()["errors"][0]["loc"] == ["body", "road"], r.text
    # A body that is not UTF-8 at all (UTF-16 with a BOM is still JSON text, RFC 8259 aside).
    r = await client.post(f"{API}/addresses", content=b"\xff\xfe\x00\x00garbage", headers=headers)
    assert_clean(r, 400, 422)
    assert await _count(db, "address", "road LIKE :road", road=road + "%") == 0


async def _raw_get(
    app: FastAPI, path: bytes, query: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """A GET straight through ASGI, for URLs an HTTP client refuses to build (raw bytes)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path.decode("utf-8", "surrogateescape"),
        "raw_path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50002),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return int(start["status"]), {k.decode(): v.decode() for k, v in start["headers"]}, body


@pytest.mark.parametrize(
    "path", ["/regions", "/recipients", "/addresses", "/charity-trusts", "/audit/events"]
)
async def test_invalid_utf8_in_query_string_is_not_an_error(
    app: FastAPI, every: dict[str, str], path: str
) -> None:
    name = b"actor" if path == "/audit/events" else b"q"
    for raw in (b"%FF%FE", b"%C3%28", b"%ED%A0%80", b"\xff\xfe", b"%E6%88", b"%", b"%%"):
        status, headers, body = await _raw_get(app, f"{API}{path}".encode(), name + b"=ab" + raw, every)
        assert status in {200, 400, 422}, (path, raw, body)
        if status != 200:
            assert headers["content-type"].startswith(PROBLEM)
            assert not INTERNALS.search(body.decode())
    # As the value of a constrained parameter, and in a path segment.
    status, _h, body = await _raw_get(app, f"{API}/recipients".encode(), b"region_code=%FF%FE", every)
    assert status == 422, body
    for segment in (b"%FF%FE", b"\xff"):
        status, _h, body = await _raw_get(app, f"{API}/regions/".encode() + segment, b"", every)
        assert status in {404, 422}, body


@pytest.mark.parametrize("what", ["addresses", "recipients"])
async def test_invalid_utf8_in_csv_import_is_422_and_writes_nothing(
    client: httpx.AsyncClient, every: dict[str, str], db: Database, what: str
) -> None:
    """The bad byte sits after enough good rows that some were read (and, on the row-by-row
    path, written) before it is met; the import still leaves nothing behind."""
    marker = unique_road()
    if what == "addresses":
        rows = [ADDRESS_HEADER, *_address_rows(150, marker, alias_bytes=200)]
        count = ("address", "road = :m")
    else:
        marker += "长" * 60  # fat rows: past the decoder's first read with few households
        rows = [RECIPIENT_HEADER, *[[*r[:4], marker, *r[5:]] for r in _recipient_rows(80)]]
        count = ("recipient_household", "address_text = :m")
    data = _csv(rows)
    assert len(data) > 16_000  # past the first read of the text decoder
    for bad in (b"\xff", b"\xc3\x28", b"\xed\xa0\x80"):
        spoiled = data[:-40] + bad + data[-40:]
        r = await client.post(
            f"{API}/{what}/import", files={"file": ("x.csv", spoiled, "text/csv")}, headers=every
        )
        body = assert_problem(r, 422)
        assert_clean(r, 422)
        assert body["errors"][0]["loc"] == ["body", "file"]
        assert "UTF-8" in body["errors"][0]["msg"]
        assert await _count(db, count[0], count[1], m=marker) == 0
    # The same file without the bad byte goes in.
    r = await client.post(f"{API}/{what}/import", files={"file": ("x.csv", data, "text/csv")}, headers=every)
    assert r.status_code == 200, r.text
    assert await _count(db, count[0], count[1], m=marker) == len(rows) - 1


# --- NUL in CSV cells -------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["addresses", "recipients"])
async def test_nul_in_csv_cells_is_dropped_and_the_import_succeeds(
    client: httpx.AsyncClient, every: dict[str, str], db: Database, what: str
) -> None:
    road = unique_road()
    if what == "addresses":
        data = _csv(
            [ADDRESS_HEADER, ["330502001000", road[:1] + "\x00" + road[1:], "7\x00", "1", "别\x00名"]]
        )
        r = await client.post(
            f"{API}/addresses/import", files={"file": ("x.csv", data, "text/csv")}, headers=every
        )
        assert r.status_code == 200, r.text
        assert r.json()["inserted"] == 1, r.text
        found = await client.get(f"{API}/addresses", params={"road": road}, headers=every)
        (item,) = found.json()["items"]
        assert item["house_number"] == "7"
        assert item["aliases"] == ["别名"]
        assert await _count(db, "address", "road = :road AND house_number = '7'", road=road) == 1
    else:
        person = id_number("330502")
        data = _csv(
            [
                RECIPIENT_HEADER,
                [
                    "k\x001",
                    "330502001000",
                    "dibao\x00",
                    "800.00",
                    road + "\x00号",
                    "张\x00伟",
                    person[:5] + "\x00" + person[5:],
                    "head",
                ],
            ]
        )
        r = await client.post(
            f"{API}/recipients/import", files={"file": ("x.csv", data, "text/csv")}, headers=every
        )
        assert r.status_code == 200, r.text
        assert r.json()["households_inserted"] == 1, r.text
        found = await client.get(f"{API}/recipients", params={"id_number": person}, headers=every)
        (item,) = found.json()["items"]
        assert item["address_text"] == road + "号"
        assert await _count(db, "recipient_household", "address_text = :t", t=road + "号") == 1


# --- hostile text in every free-text field ----------------------------------------------------

PAYLOADS: dict[str, str] = {
    "sql-drop": "x'; DROP TABLE recipient_household; DELETE FROM region; /* */ --",
    "sql-or": "' OR '1'='1",
    "script": "<script>alert(1)</script>",
    "like-percent": "%'",
    "like-underscore": "_",
    "backslashes-quotes": "a\\b\\\\c\\\"'`",
    "unicode-oddities": "abc\u202edcba\u200b\ufeffe\u0301",
    "emoji": "👨\u200d👩\u200d👧 😀",
    "control": "a\tb\nc\r\x1b[31m",
    "lone-surrogate": "a\ud800b",
    "very-long": "长" * 5_000,
}
# Strings the service cannot hold as text: a clean 422 is the only right answer.
REFUSED_PAYLOADS = {"lone-surrogate"}
# Fields holding codes or amounts, validated by their own rules rather than free text.
CODED = {"region_code", "id_number", "uscc", "code", "value", "standard"}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def free_text_fields(
    spec: dict[str, Any], schema: dict[str, Any], at: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """(location, string schema) of every free-text string in a body schema: no enum, pattern
    or format, not a code; arrays at their first item."""
    schema = _resolve(spec, schema)
    for option in _leaf_types(schema):
        choice = _resolve(spec, option)
        kind = choice.get("type")
        if kind == "object":
            for name, sub in choice.get("properties", {}).items():
                if name not in CODED:
                    yield from free_text_fields(spec, sub, (*at, name))
        elif kind == "array":
            yield from free_text_fields(spec, choice.get("items", {}), (*at, 0))
        elif kind == "string" and not {"enum", "pattern", "format", "contentMediaType"} & choice.keys():
            yield at, choice


def _put(doc: dict[str, Any], at: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    node: Any = doc
    for step, nxt in itertools.pairwise(at):
        if isinstance(step, int):
            while len(node) <= step:
                node.append([] if isinstance(nxt, int) else {})
        elif step not in node or node[step] is None:
            node[step] = [] if isinstance(nxt, int) else {}
        node = node[step]
    last = at[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value
    return doc


def _strings(doc: Any) -> Iterator[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for value in doc.values():
            yield from _strings(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _strings(value)


Headers = dict[str, str]
Location = tuple[str | int, ...]
Prepared = tuple[str, dict[str, Any], Headers]


def _free_villages() -> Iterator[str]:
    """Village codes under 月河街道 that the reference data does not use."""
    shipped = (Path(app_package.__file__).parent / "region" / "data" / "regions-huzhou.csv").read_text()
    taken = set(re.findall(r"^(\d{12}),", shipped, re.MULTILINE))
    return (code for n in range(999, 0, -1) if (code := f"330502001{n:03d}") not in taken)


_VILLAGES = _free_villages()


def _village() -> str:
    return next(_VILLAGES)


async def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in {200, 201}, f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:400]}"
    result: dict[str, Any] = r.json()
    return result


def _if_match(record: dict[str, Any]) -> Headers:
    return {"If-Match": f'"{record["version"]}"'}


class Targets:
    """How to send a body to each operation that takes free text, and read back what it stored.

    ``prepare`` builds a valid request (creating the parent record when the operation needs
    one) for a field location; ``read`` fetches what the service stored after a success."""

    def __init__(self, client: httpx.AsyncClient, headers: Headers) -> None:
        self.c = client
        self.h = headers
        self.shared: dict[Any, Any] = {}
        self.versions: dict[str, int] = {}

    async def once(self, key: Any, make: Callable[[], Awaitable[Any]]) -> Any:
        """One parent record per field, reused across its payloads."""
        if key not in self.shared:
            self.shared[key] = await make()
        return self.shared[key]

    def if_match(self, url: str, made: dict[str, Any]) -> Headers:
        return {"If-Match": f'"{self.versions.get(url, made["version"])}"'}

    async def post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        return await _ok(await self.c.post(f"{API}{url}", json=body, headers=self.h))

    async def get(self, url: str, **params: Any) -> Any:
        return await _ok(await self.c.get(f"{API}{url}", params=params, headers=self.h))

    # regions and standards
    async def region_create(self, at: Location) -> Prepared:
        return "/regions", {"code": _village(), "name": "测试村"}, {}

    async def region_update(self, at: Location) -> Prepared:
        made = await self.once(at, lambda: self.post("/regions", {"code": _village(), "name": "测试村"}))
        url = f"/regions/{made['code']}"
        return url, {}, self.if_match(url, made)

    async def standard_create(self, at: Location) -> Prepared:
        day = f"20{int(unique_suffix()) % 80 + 10:02d}-{int(unique_suffix()) % 12 + 1:02d}-01"
        body = {
            "kind": "orphan_care_annual",
            "region_code": "330503",
            "effective_from": day,
            "value": "20000.00",
        }
        return "/standards", body, {}

    # recipients
    async def household_create(self, at: Location) -> Prepared:
        return "/recipients", household(address_text="某路1号"), {}

    async def household_update(self, at: Location) -> Prepared:
        body = household()
        made = await self.once(at, lambda: self.post("/recipients", body))
        base = (
            {"members": self.shared.setdefault(("members", at), body["members"])}
            if at[0] == "members"
            else {}
        )
        url = f"/recipients/{made['id']}"
        return url, base, self.if_match(url, made)

    async def transition(self, at: Location) -> Prepared:
        """An approved household, suspended and resumed in turn."""

        async def approved() -> dict[str, Any]:
            made = await self.post("/recipients", household())
            for action in ("verify", "approve"):
                await self.post(f"/recipients/{made['id']}/transitions", {"action": action})
            return made

        made = await self.once(at, approved)
        url = f"/recipients/{made['id']}/transitions"
        status = (await self.get(f"/recipients/{made['id']}"))["status"]
        return url, {"action": "suspend" if status == "approved" else "resume"}, {}

    # grants, disability subsidies, deaths
    async def grant(self, at: Location) -> Prepared:
        made = await self.once(at, lambda: self.post("/recipients", household(category="temporary")))
        return f"/recipients/{made['id']}/grants", {"amount": "10.00", "kind": "emergency"}, {}

    async def death(self, at: Location) -> Prepared:
        return "/deaths", {"id_number": id_number("330502"), "died_on": "2026-01-02", "source": "funeral"}, {}

    async def _disabled(self) -> tuple[str, str]:
        people = [{"name": "残", "id_number": id_number("330502"), "relation": "head", "disability_grade": 1}]
        made = await self.post("/recipients", household(members=people))
        return made["id"], made["members"][0]["id"]

    async def subsidy_apply(self, at: Location) -> Prepared:
        hid, mid = await self._disabled()
        return f"/recipients/{hid}/members/{mid}/subsidies", {"kind": "disability_nursing"}, {}

    async def _approved_subsidy(self, at: Location) -> tuple[str, str, str]:
        async def make() -> tuple[str, str, str]:
            hid, mid = await self._disabled()
            made = await self.post(
                f"/recipients/{hid}/members/{mid}/subsidies", {"kind": "disability_nursing"}
            )
            for action in ("verify", "approve"):
                await self.post(f"/recipients/{hid}/subsidies/{made['id']}/transitions", {"action": action})
            return hid, mid, made["id"]

        made: tuple[str, str, str] = await self.once(at, make)
        return made

    async def _toggle(self, hid: str, sid: str) -> dict[str, Any]:
        status = (await self.get(f"/recipients/{hid}/subsidies/{sid}"))["status"]
        return {"action": "suspend" if status == "approved" else "resume"}

    async def subsidy_transition(self, at: Location) -> Prepared:
        hid, _mid, sid = await self._approved_subsidy(("household", *at))
        return f"/recipients/{hid}/subsidies/{sid}/transitions", await self._toggle(hid, sid), {}

    async def subsidy_transition_member(self, at: Location) -> Prepared:
        hid, mid, sid = await self._approved_subsidy(("member", *at))
        return (
            f"/recipients/{hid}/members/{mid}/subsidies/{sid}/transitions",
            await self._toggle(hid, sid),
            {},
        )

    # addresses
    @staticmethod
    def _address() -> dict[str, Any]:
        # A building number of its own: hostile names that normalise alike stay distinct.
        return address(building=str(int(unique_suffix())))

    async def address_create(self, at: Location) -> Prepared:
        return "/addresses", self._address(), {}

    async def address_update(self, at: Location) -> Prepared:
        made = await self.once(at, lambda: self.post("/addresses", self._address()))
        url = f"/addresses/{made['id']}"
        return url, {}, self.if_match(url, made)

    async def address_parse(self, at: Location) -> Prepared:
        return "/addresses/parse", {"text": "人民路1号"}, {}

    async def address_match(self, at: Location) -> Prepared:
        return "/addresses/match", {"text": "人民路1号"}, {}

    async def address_match_batch(self, at: Location) -> Prepared:
        return "/addresses/match-batch", {"texts": ["人民路1号"]}, {}

    # assessments
    async def assessment_create(self, at: Location) -> Prepared:
        return "/assessments", assessment_body(), {}

    async def amendment(self, at: Location) -> Prepared:
        made = await self.post("/assessments", assessment_body())
        return f"/assessments/{made['id']}/amendments", {"reason": "更正"}, {}

    # charity trusts
    async def trust_create(self, at: Location) -> Prepared:
        return "/charity-trusts", trust(filed_on="2022-03-05"), {}

    async def trust_update(self, at: Location) -> Prepared:
        body = trust()
        made = await self.once(at, lambda: self.post("/charity-trusts", body))
        body = self.shared.setdefault(("body", at), body)
        base = {at[0]: body[at[0]]} if at[0] in {"trustors", "trustees", "supervisor"} else {}
        url = f"/charity-trusts/{made['id']}"
        return url, base, self.if_match(url, made)

    async def trust_filing(self, at: Location) -> Prepared:
        made = await self.post("/charity-trusts", trust(region="330503"))
        return f"/charity-trusts/{made['id']}/filing", {"filing_number": "备1", "filed_on": "2022-03-05"}, {}

    async def _filed(self) -> tuple[dict[str, Any], dict[str, Any]]:
        body = trust(filed_on="2022-03-05")
        return body, await self.post("/charity-trusts", body)

    async def trust_change(self, at: Location) -> Prepared:
        body, made = await self.once(at, self._filed)
        change: dict[str, Any] = {"type": "other", "effective_on": "2022-06-01", "details": "说明"}
        if at[0] == "purpose":
            change = {**change, "type": "purpose", "purpose": "新目的", "purpose_categories": ["education"]}
        if at[0] == "trustees":
            change = {**change, "type": "trustee", "trustees": body["trustees"]}
        return f"/charity-trusts/{made['id']}/changes", change, {}

    async def trust_annual_report(self, at: Location) -> Prepared:
        _body, made = await self._filed()
        report = {
            "year": 2022,
            "income": "100.00",
            "expenditure": "50.00",
            "charitable_spending": "40.00",
            "fees": "10.00",
            "year_end_balance": "1000050.00",
            "submitted_on": "2023-03-01",
        }
        return f"/charity-trusts/{made['id']}/annual-reports", report, {}

    async def trust_termination(self, at: Location) -> Prepared:
        _body, made = await self._filed()
        return (
            f"/charity-trusts/{made['id']}/termination",
            {"terminated_on": "2023-01-01", "reason": "期满"},
            {},
        )

    # indicators
    @staticmethod
    def _indicator() -> dict[str, Any]:
        code = f"bad_input_{unique_suffix()}"
        return {"code": code, "name_zh": "测试指标", "domain": "test", "unit": "items", "aggregation": "sum"}

    async def indicator_create(self, at: Location) -> Prepared:
        return "/indicators", self._indicator(), {}

    async def indicator_update(self, at: Location) -> Prepared:
        made = await self.once(at, lambda: self.post("/indicators", self._indicator()))
        url = f"/indicators/{made['code']}"
        return url, {}, self.if_match(url, made)

    async def indicator_report(self, at: Location) -> Prepared:
        made = await self.once(at, lambda: self.post("/indicators", self._indicator()))
        report = {"region_code": "330502000000", "period": "2022", "as_of": "2022-06-30", "value": "5"}
        return f"/indicators/{made['code']}/reports", report, {}

    # reading back what was stored
    async def read(self, operation: str, url: str, written: dict[str, Any]) -> Any:
        if operation == "standard-create":
            items = (await self.get(url, region_code="330503", limit=500))["items"]
            return [s for s in items if s["id"] == written["id"]]
        if operation in {"region-create", "indicator-create"}:
            return await self.get(f"{url}/{written['code']}")
        if operation == "assessment-amend":
            return await self.get(f"/assessments/{written['id']}")
        if operation.endswith("-create") and "{" not in OPERATIONS[operation][1]:
            return await self.get(f"{url}/{written['id']}")
        if operation in {"recipient-transition", "subsidy-transition", "subsidy-transition-member"}:
            return await self.get(url.replace("/transitions", "/history"))
        if operation == "recipient-grant":
            return await self.get(url.replace("/grants", "/payments"), limit=500)
        if operation == "subsidy-apply":
            household_url = url.split("/members/", maxsplit=1)[0]
            return await self.get(f"{household_url}/subsidies/{written['id']}/history")
        if operation in {"charity-trust-file", "charity-trust-terminate"}:
            return await self.get(url.rsplit("/", 1)[0])
        return await self.get(url)  # updates: the record; sub-records: their list


# operationId → (method, OpenAPI path, Targets method); None: no stored text to read back.
OPERATIONS: dict[str, tuple[str, str, str]] = {
    "region-create": ("POST", "/regions", "region_create"),
    "region-update": ("PATCH", "/regions/{code}", "region_update"),
    "standard-create": ("POST", "/standards", "standard_create"),
    "recipient-create": ("POST", "/recipients", "household_create"),
    "recipient-update": ("PATCH", "/recipients/{household_id}", "household_update"),
    "recipient-transition": ("POST", "/recipients/{household_id}/transitions", "transition"),
    "recipient-grant": ("POST", "/recipients/{household_id}/grants", "grant"),
    "death-create": ("POST", "/deaths", "death"),
    "subsidy-apply": ("POST", "/recipients/{household_id}/members/{member_id}/subsidies", "subsidy_apply"),
    "subsidy-transition": (
        "POST",
        "/recipients/{household_id}/subsidies/{subsidy_id}/transitions",
        "subsidy_transition",
    ),
    "subsidy-transition-member": (
        "POST",
        "/recipients/{household_id}/members/{member_id}/subsidies/{subsidy_id}/transitions",
        "subsidy_transition_member",
    ),
    "address-create": ("POST", "/addresses", "address_create"),
    "address-update": ("PATCH", "/addresses/{address_id}", "address_update"),
    "address-parse": ("POST", "/addresses/parse", "address_parse"),
    "address-match": ("POST", "/addresses/match", "address_match"),
    "address-match-batch": ("POST", "/addresses/match-batch", "address_match_batch"),
    "assessment-create": ("POST", "/assessments", "assessment_create"),
    "assessment-amend": ("POST", "/assessments/{assessment_id}/amendments", "amendment"),
    "charity-trust-create": ("POST", "/charity-trusts", "trust_create"),
    "charity-trust-update": ("PATCH", "/charity-trusts/{trust_id}", "trust_update"),
    "charity-trust-file": ("POST", "/charity-trusts/{trust_id}/filing", "trust_filing"),
    "charity-trust-change-create": ("POST", "/charity-trusts/{trust_id}/changes", "trust_change"),
    "charity-trust-report-create": (
        "POST",
        "/charity-trusts/{trust_id}/annual-reports",
        "trust_annual_report",
    ),
    "charity-trust-terminate": ("POST", "/charity-trusts/{trust_id}/termination", "trust_termination"),
    "indicator-create": ("POST", "/indicators", "indicator_create"),
    "indicator-update": ("PATCH", "/indicators/{code}", "indicator_update"),
    "indicator-report-create": ("POST", "/indicators/{code}/reports", "indicator_report"),
}
NOT_STORED = {"address-parse", "address-match", "address-match-batch"}


def _body_schema(spec: dict[str, Any], operation_id: str) -> dict[str, Any] | None:
    for _path, operations in spec["paths"].items():
        for operation in operations.values():
            if operation.get("operationId") == operation_id:
                content = operation.get("requestBody", {}).get("content", {})
                return content.get("application/json", {}).get("schema")
    return None


def test_every_operation_taking_free_text_has_a_target(app: FastAPI) -> None:
    """A new operation whose JSON body carries free text must be added to OPERATIONS (its
    new fields in a known operation are picked up from the schema without that)."""
    spec = app.openapi()
    taking_text = set()
    for method, path, operation in _operations(app):
        schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if schema and any(True for _ in free_text_fields(spec, schema)):
            taking_text.add(operation["operationId"])
            assert (method, path.removeprefix(API)) == OPERATIONS.get(operation["operationId"], ("",) * 3)[
                :2
            ], path
    assert taking_text == set(OPERATIONS)


def _wrapped(operation: str, at: Location, value: str) -> str:
    """The hostile value as sent: a charity trust's name must say it is one (a domain rule
    that would otherwise refuse every payload before its text is looked at)."""
    if operation in {"charity-trust-create", "charity-trust-update"} and at == ("name",):
        return value + "慈善信托"
    return value


def _expected(operation: str, at: Location, value: str) -> str | None:
    """What the service stores for ``value``: verbatim, except the documented normalisation of
    address components and aliases (which drops punctuation; an alias left blank is dropped,
    None)."""
    if operation in {"address-create", "address-update"}:
        expected = normalize_number(value) if at[0] in NUMBER_FIELDS else normalize_text(value)
        if not expected and at[0] == "aliases":
            return None
        assert expected, f"{value!r} normalises to nothing, yet {at} accepted it"
        return expected
    return value


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_hostile_text_in_every_field_is_stored_verbatim_or_422(
    app: FastAPI, client: httpx.AsyncClient, every: Headers, db: Database, operation: str
) -> None:
    spec = app.openapi()
    schema = _body_schema(spec, operation)
    assert schema is not None
    method, _path, maker = OPERATIONS[operation]
    targets = Targets(client, every)
    fields = list(free_text_fields(spec, schema))
    assert fields
    outcomes: dict[tuple[Location, str], int] = {}
    for at, string in fields:
        numbered = operation.startswith("address-") and at[0] in NUMBER_FIELDS
        control = "12A" if numbered else "普通文本"
        for name, raw in {"control-value": control, **PAYLOADS}.items():
            url, base, extra = await getattr(targets, maker)(at)
            value = _wrapped(operation, at, raw)
            doc = _put(base, at, value)
            changes = await _count(db, "change_log")
            r = await client.request(
                method,
                f"{API}{url}",
                content=json.dumps(doc).encode(),  # ASCII escapes, so a lone surrogate travels as "\ud800"
                headers={**every, **extra, "content-type": "application/json"},
            )
            assert_clean(r, 200, 201, 422)
            outcomes[(at, name)] = r.status_code
            if r.status_code == 200 and "version" in r.json():
                targets.versions[url] = r.json()["version"]
            if name == "control-value":  # the request is valid but for the hostile text
                assert r.status_code in {200, 201}, (at, r.text[:300])
            elif name in REFUSED_PAYLOADS or len(value) > string.get("maxLength", 10**9):
                assert r.status_code == 422, (at, name, r.text[:300])
            if r.status_code == 422:
                assert r.json()["errors"], r.text
                assert await _count(db, "change_log") == changes, (at, name)  # nothing written
                continue
            if operation in NOT_STORED:
                continue
            kept = _expected(operation, at, value)
            if kept is not None:
                stored = list(_strings(await targets.read(operation, url, r.json())))
                assert kept in stored, (operation, at, name, stored[:40])
    # Every field stored some hostile text (so the matrix exercised storage, not just refusals).
    for at, _string in fields:
        stored = [name for name in PAYLOADS if outcomes[(at, name)] in {200, 201}]
        numbered = operation.startswith("address-") and at[0] in NUMBER_FIELDS  # numbers by rule
        assert len(stored) >= (1 if numbered else len(PAYLOADS) // 3), (operation, at, outcomes)


async def test_address_number_of_punctuation_only_is_422(client: httpx.AsyncClient, every: Headers) -> None:
    """Regression: ``%'`` as a house number normalised to nothing and was stored as "no
    house number", naming another address than the one given."""
    for field in NUMBER_FIELDS:
        r = await client.post(f"{API}/addresses", json=address(**{field: "%'"}), headers=every)
        assert_problem(r, 422)
        assert ["body", field] in [e["loc"] for e in r.json()["errors"]], r.text


# --- hostile text in query parameters ---------------------------------------------------------


def _free_text_params(app: FastAPI) -> list[tuple[str, str, int]]:
    """(path, name, maxLength) of every free-text query parameter of a GET without path
    parameters."""
    found = []
    for method, path, operation in _operations(app):
        if method != "GET" or "{" in path:
            continue
        for param in operation.get("parameters", []):
            if param["in"] != "query" or param["name"] == "cursor":
                continue
            for choice in _leaf_types(param["schema"]):
                if choice.get("type") == "string" and not {"enum", "pattern", "format"} & choice.keys():
                    found.append((path, param["name"], choice.get("maxLength", 10**9)))
    return found


async def test_hostile_text_in_every_free_text_query_parameter(
    app: FastAPI, client: httpx.AsyncClient, every: Headers
) -> None:
    params = _free_text_params(app)
    names = {(p, n) for p, n, _m in params}
    assert {
        (f"{API}/recipients", "q"),
        (f"{API}/addresses", "road"),
        (f"{API}/audit/events", "actor"),
    } <= names
    for path, name, max_length in params:
        for label, value in PAYLOADS.items():
            if label == "lone-surrogate":
                continue  # cannot be put in a URL; its UTF-8 form is covered above
            r = await client.get(path, params={name: value}, headers=every)
            assert_clean(r, 200, 400, 422)
            if len(value) > max_length:
                assert r.status_code == 422, (path, name, label)
            if r.status_code == 400:  # a list of known names (sync entities): named in the answer
                assert "entit" in r.json()["detail"], r.text


SEARCHES = {
    "/regions": "q",
    "/recipients": "q",
    "/addresses": "q",
    "/charity-trusts": "q",
    "/audit/events": "action",
}


async def _holding(client: httpx.AsyncClient, every: Headers, path: str, text_value: str) -> None:
    """A record whose searched text holds ``text_value``."""
    bodies: dict[str, tuple[str, dict[str, Any]]] = {
        "/regions": ("/regions", {"code": _village(), "name": f"村{text_value}"}),
        "/recipients": (
            "/recipients",
            household(
                members=[{"name": f"张{text_value}伟", "id_number": id_number("330502"), "relation": "head"}]
            ),
        ),
        "/addresses": ("/addresses", address(road=f"{unique_road()}{text_value}")),
        "/charity-trusts": ("/charity-trusts", trust(name=f"{text_value}慈善信托{unique_suffix()}")),
        "/audit/events": ("/regions", {"code": _village(), "name": f"村{text_value}"}),
    }
    url, body = bodies[path]
    await _ok(await client.post(f"{API}{url}", json=body, headers=every))


@pytest.mark.parametrize("path", sorted(SEARCHES))
async def test_like_wildcards_in_a_search_match_themselves_only(
    client: httpx.AsyncClient, every: Headers, path: str
) -> None:
    """A search for ``%`` finds what contains a ``%``, not everything; likewise ``_`` and
    ``\\``. Where the search text is normalised (addresses drop punctuation), such a search
    finds nothing."""
    name = SEARCHES[path]
    for needle in ("%", "_", "\\", "%'", "_%", "\\%"):
        await _holding(client, every, path, "普通")
        await _holding(client, every, path, needle)
        value = needle + "*" if name == "action" else needle
        everything = await _ok(
            await client.get(f"{API}{path}", params={"limit": 500, "count": "true"}, headers=every)
        )
        found = await _ok(
            await client.get(
                f"{API}{path}", params={name: value, "limit": 500, "count": "true"}, headers=every
            )
        )
        assert everything["items"], path
        for item in found["items"]:
            assert any(needle in s for s in _strings(item)), (needle, item)
        if path in {"/addresses", "/audit/events"}:
            assert found["items"] == [], (needle, found["items"][:3])
        else:
            assert found["items"], (path, needle)  # the record holding the needle
        if found.get("total") is not None:
            assert found["total"] < everything["total"]


async def test_injected_sql_did_nothing(client: httpx.AsyncClient, every: Headers, db: Database) -> None:
    """``'; DROP TABLE …; --`` stored in records of several domains is plain text: it reads
    back unchanged, every table is still there, and the audit chain verifies."""
    payload = PAYLOADS["sql-drop"]
    household_id = (
        await _ok(await client.post(f"{API}/recipients", json=household(address_text=payload), headers=every))
    )["id"]
    code = (
        await _ok(
            await client.post(f"{API}/regions", json={"code": _village(), "name": payload}, headers=every)
        )
    )["code"]
    trust_id = (
        await _ok(await client.post(f"{API}/charity-trusts", json=trust(purpose=payload), headers=every))
    )["id"]
    assert (await client.get(f"{API}/recipients/{household_id}", headers=every)).json()[
        "address_text"
    ] == payload
    assert (await client.get(f"{API}/regions/{code}", headers=every)).json()["name"] == payload
    assert (await client.get(f"{API}/charity-trusts/{trust_id}", headers=every)).json()["purpose"] == payload
    for table in (
        "recipient_household",
        "recipient_member",
        "address",
        "region",
        "charity_trust",
        "change_log",
    ):
        assert await _count(db, table) > 0, table
    assert await _count(db, "assessment") >= 0  # the table answers
    found = await _ok(
        await client.get(f"{API}/recipients", params={"q": "' OR '1'='1", "count": "true"}, headers=every)
    )
    everything = await _ok(
        await client.get(f"{API}/recipients", params={"count": "true", "limit": 1}, headers=every)
    )
    assert found["total"] < everything["total"]
    verify = await _ok(await client.get(f"{API}/audit/verify", headers=every))
    assert verify["ok"] is True, verify


# --- forged cursors, If-Match and Idempotency-Key ---------------------------------------------


def _cursor_lists(app: FastAPI) -> list[str]:
    """Every GET without path parameters that takes a ``cursor``."""
    return [
        path
        for method, path, operation in _operations(app)
        if method == "GET"
        and "{" not in path
        and any(p["name"] == "cursor" for p in operation.get("parameters", []))
    ]


def _forged(real: str) -> dict[str, str]:
    raw = base64.urlsafe_b64decode(real + "=" * (-len(real) % 4))
    mac, payload = raw[:12], raw[12:]
    flipped = bytes([mac[0] ^ 1]) + mac[1:] + payload
    other_key = hashlib.sha256(b"cursor:another-secret").digest()
    other = hmac.new(other_key, payload, hashlib.sha256).digest()[:12] + payload
    unsigned = b"\x00" * 12 + payload

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    return {
        "random": "hello-world",
        "empty-json": b64(b"[]"),
        "tampered-signature": b64(flipped),
        "tampered-payload": b64(mac + payload.replace(b'"', b"'", 1) + b" "),
        "other-secret": b64(other),
        "unsigned": b64(unsigned),
        "base64-garbage": "////____====",
        "not-base64": "光标!@#$",
        "padding-only": "====",
        "truncated": real[:10],
        "bytes": b64(bytes(range(256))),
    }


async def test_forged_cursors_are_400_everywhere(
    app: FastAPI, client: httpx.AsyncClient, every: Headers
) -> None:
    await _ok(await client.post(f"{API}/regions", json={"code": _village(), "name": "村"}, headers=every))
    real = (await _ok(await client.get(f"{API}/regions", params={"limit": 1}, headers=every)))["next_cursor"]
    assert real
    lists = _cursor_lists(app)
    assert f"{API}/recipients" in lists
    assert f"{API}/sync/changes" in lists
    for path in lists:
        extra = {"entity": "region"} if path.endswith("/snapshot") else {}
        for label, cursor in _forged(real).items():
            r = await client.get(path, params={"cursor": cursor, **extra}, headers=every)
            body = assert_problem(r, 400)
            assert_clean(r, 400)
            assert "cursor" in body["detail"], (path, label, body)
        r = await client.get(path, params={"cursor": "A" * 2_001, **extra}, headers=every)
        assert_clean(r, 422)
        assert ["query", "cursor"] in [e["loc"] for e in r.json()["errors"]]


async def test_a_cursor_from_another_endpoint_is_400(client: httpx.AsyncClient, every: Headers) -> None:
    """Regression: cursors of lists keyed alike (an id, a code) were accepted by each other's
    endpoints; a cursor now works only where it was issued."""
    for _ in range(2):
        await _ok(await client.post(f"{API}/addresses", json=address(), headers=every))
        await _ok(await client.post(f"{API}/recipients", json=household(), headers=every))
        await _ok(await client.post(f"{API}/indicators", json=Targets._indicator(), headers=every))
    issued = {}
    for path in ("/addresses", "/recipients", "/regions", "/indicators", "/sync/changes"):
        page = await _ok(await client.get(f"{API}{path}", params={"limit": 1}, headers=every))
        issued[path] = page["next_cursor"]
        assert issued[path], path
    # Each works where it was issued …
    for path, cursor in issued.items():
        assert_clean(
            await client.get(f"{API}{path}", params={"cursor": cursor, "limit": 1}, headers=every), 200
        )
    # … and nowhere else.
    for path in (*issued, "/charity-trusts", "/assessments", "/standards", "/audit/events"):
        for source, cursor in issued.items():
            if source != path:
                r = await client.get(f"{API}{path}", params={"cursor": cursor}, headers=every)
                assert "cursor" in assert_problem(r, 400)["detail"], (source, path)
    # Nor on the same list of another parent record.
    _body, first = await Targets(client, every)._filed()
    _body, second = await Targets(client, every)._filed()
    for n in range(2):
        change = {"type": "other", "effective_on": "2022-06-01", "details": f"说明{n}"}
        await _ok(
            await client.post(f"{API}/charity-trusts/{first['id']}/changes", json=change, headers=every)
        )
    cursor = (
        await _ok(
            await client.get(
                f"{API}/charity-trusts/{first['id']}/changes", params={"limit": 1}, headers=every
            )
        )
    )["next_cursor"]
    assert cursor
    r = await client.get(
        f"{API}/charity-trusts/{second['id']}/changes", params={"cursor": cursor}, headers=every
    )
    assert_problem(r, 400)


FORGED_IF_MATCH = [
    '"abc"',
    "*",
    'W/"x"',
    '"-1"',
    '"1.0"',
    '"99999999999999999999999999999"',
    '"²"',
    '"١"',
    '"\u00bd"',
    "'; DROP TABLE region; --",
    '"' + "9" * 5_000 + '"',
    '"1", "2"',
    "",
    " ",
]


async def test_forged_if_match_is_412_or_428_and_changes_nothing(
    client: httpx.AsyncClient, every: Headers
) -> None:
    made = await _ok(
        await client.post(f"{API}/regions", json={"code": _village(), "name": "原名"}, headers=every)
    )
    url = f"{API}/regions/{made['code']}"
    for value in FORGED_IF_MATCH:
        for encoded in {value.encode(), value.encode("latin-1", "replace")}:  # as UTF-8 or ISO-8859-1
            headers = {k.encode(): v.encode() for k, v in every.items()} | {b"If-Match": encoded}
            r = await client.patch(url, json={"name": "改名"}, headers=headers)
            assert_clean(r, 412, 428)
            if value.strip():
                assert r.status_code == 412, (value, r.text)
    current = await _ok(await client.get(url, headers=every))
    assert current["name"] == "原名"
    assert current["version"] == made["version"]
    r = await client.patch(url, json={"name": "改名"}, headers={**every, "If-Match": f'"{made["version"]}"'})
    assert_clean(r, 200)


async def test_forged_idempotency_keys_are_422_or_honoured(
    client: httpx.AsyncClient, every: Headers, db: Database
) -> None:
    for key in ("x" * 201, "x" * 10_000, ""):
        road = unique_road()
        r = await client.post(
            f"{API}/addresses", json=address(road=road), headers={**every, "Idempotency-Key": key}
        )
        assert_clean(r, 422)
        assert await _count(db, "address", "road = :road", road=road) == 0
    for key in ("'; DROP TABLE idempotency_key; --", "%", "_", "\\", "é ü ñ", "k" * 200):
        road = unique_road()
        headers: dict[str, Any] = {**every, "Idempotency-Key": key.encode()}
        first = await client.post(f"{API}/addresses", json=address(road=road), headers=headers)
        again = await client.post(f"{API}/addresses", json=address(road=road), headers=headers)
        assert first.status_code == again.status_code == 201, (key, first.text, again.text)
        assert first.json()["id"] == again.json()["id"]
        other = await client.post(f"{API}/addresses", json=address(), headers=headers)
        assert_clean(other, 422)
        assert await _count(db, "address", "road = :road", road=road) == 1
    # A key of another shape of wildcard does not replay someone else's key.
    r = await client.post(f"{API}/addresses", json=address(), headers={**every, "Idempotency-Key": "%%"})
    assert_clean(r, 201)


async def test_nul_in_any_url_is_a_documented_400(
    app: FastAPI, client: httpx.AsyncClient, every: Headers
) -> None:
    """Regression: the NUL guard answers 400 on any route, but the schema documented 400 only
    where a body or a cursor is read (schema-driven clients and fuzzers saw an undocumented
    status)."""
    for method, path, operation in _operations(app):
        assert "400" in operation["responses"], (method, path)
        if method == "GET" and "{" not in path:
            r = await client.get(path, params={"x": "a\x00b"}, headers=every)
            assert "NUL" in assert_problem(r, 400)["detail"], path
