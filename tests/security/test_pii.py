"""Personal data: never in clear at rest, in logs or in errors; keys rotate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import Database
from app.security.pii import PiiCipher, PiiError, mask_id_number, mask_phone
from app.security.rotation import rotate
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household


def test_masks() -> None:
    assert mask_id_number("33050219500301123X") == "330502********123X"
    assert mask_phone("13812345678") == "138****5678"


def test_ciphertexts_are_bound_to_their_kind_and_key() -> None:
    cipher = PiiCipher({"a": b"k" * 32}, "a", b"index")
    token = cipher.encrypt("id_number", "110105194912310021")
    assert "110105194912310021" not in token
    assert cipher.decrypt("id_number", token) == "110105194912310021"
    assert cipher.encrypt("id_number", "110105194912310021") != token

    with pytest.raises(PiiError):
        cipher.decrypt("phone", token)
    assert cipher.blind_index("id_number", "x") == cipher.blind_index("id_number", "x")
    assert cipher.blind_index("id_number", "x") != cipher.blind_index("phone", "x")


def test_the_blind_index_is_the_keyed_hmac_of_kind_and_canonical_value() -> None:
    """Stored indexes must keep matching: HMAC-SHA256 under the index key of ``kind:value``,
    identity text in its canonical form, whatever the order of calls."""
    cipher = PiiCipher({"a": b"k" * 32}, "a", b"index")
    for kind, typed, stored in [
        ("id_number", "11010519491231002x", "11010519491231002X"),
        ("phone", "139 1111-2222", "13911112222"),
        ("name", "张伟", "张伟"),
    ]:
        expected = hmac.new(b"index", f"{kind}:{stored}".encode(), hashlib.sha256).hexdigest()
        assert cipher.blind_index(kind, typed) == expected
        assert cipher.blind_index(kind, stored) == expected


async def _all_text(db: Database) -> str:
    chunks: list[str] = []
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        for table in tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table}"'))).all()
            chunks.extend(repr(tuple(r)) for r in rows)
    return "\n".join(chunks)


async def test_no_clear_id_number_at_rest_in_logs_or_errors(
    client: httpx.AsyncClient, auth: TokenFactory, db: Database, settings: Settings, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_id = id_number("330502")
    phone = "13987654321"
    h = auth("operator", region="330502")
    body = household(members=[{"name": "保密", "id_number": secret_id, "relation": "head", "phone": phone}])
    created = await create(client, h, body)
    dup = await client.post("/api/v1/recipients", json=body, headers=h)
    assert dup.status_code == 409
    lookup = await client.get("/api/v1/recipients", params={"id_number": secret_id}, headers=h)
    assert [i["id"] for i in lookup.json()["items"]] == [created["id"]]
    bad = dict(body, region_code="330503001000")
    forbidden = await client.post("/api/v1/recipients", json=bad, headers=h)
    assert forbidden.status_code == 403
    for response in (dup, lookup, forbidden):
        assert secret_id not in response.text
        assert phone not in response.text
    # Everything the service logs, at DEBUG; the test's own HTTP client (httpx) logs the URLs it
    # requests, query strings included, and is not part of the service.
    service_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name == "app.access" for r in service_records)
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in service_records)
    assert secret_id not in logged
    assert phone not in logged

    everything = await _all_text(db)
    assert secret_id not in everything
    assert phone not in everything
    if db.is_sqlite:
        path = Path(str(make_url(settings.database_url).database))
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert secret_id.encode() not in raw
        assert phone.encode() not in raw
        assert mask_id_number(secret_id).encode() in raw


async def test_rotation_re_encrypts_records_and_change_log(
    client: httpx.AsyncClient, auth: TokenFactory, db: Database, app: Any, settings: Settings
) -> None:
    person = id_number("330502")
    created = await create(
        client,
        auth("operator", region="330502"),
        household(
            members=[{"name": "轮换", "id_number": person, "relation": "head", "phone": "13700000000"}]
        ),
    )
    old: PiiCipher = app.state.pii
    keys = {kid: base64.b64decode(value) for kid, value in settings.pii_keys.items()}
    new = PiiCipher({**keys, "k2": b"n" * 32}, "k2", settings.pii_index_key.encode())
    counts = await rotate(db, new)
    assert counts["recipient_member"] >= 1
    assert counts["change_log"] >= 1
    async with db.engine.connect() as conn:
        tokens = (await conn.execute(text("SELECT id_number_enc, phone_enc FROM recipient_member"))).all()
    assert all(t.startswith("k2:") for row in tokens for t in row if t)
    app.state.pii = new
    try:
        r = await client.get(
            f"/api/v1/recipients/{created['id']}",
            params={"reveal": "true"},
            headers=auth("operator", region="330502"),
        )
        assert r.json()["members"][0]["id_number"] == person
        assert r.json()["members"][0]["phone"] == "13700000000"
        assert r.json()["version"] == created["version"]
    finally:
        app.state.pii = old
        # Back to the original key, so the rest of the suite reads what it wrote.
        await rotate(db, PiiCipher({**keys, "k2": b"n" * 32}, old.active, settings.pii_index_key.encode()))
