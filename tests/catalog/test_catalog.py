"""The data catalog: complete, built from the models, counted in scope; masked exports."""

from __future__ import annotations

import csv
import io

import httpx
from openpyxl import load_workbook
from sqlalchemy import inspect

from app.catalog.service import SYSTEM_TABLES
from app.core.db import Database
from app.core.record import ENTITIES
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household


async def test_every_table_is_catalogued_or_explained(db: Database) -> None:
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    catalogued = {spec.model.__table__.name for spec in ENTITIES.values()}  # type: ignore[attr-defined]
    unexplained = {t for t in tables if t not in catalogued and t not in SYSTEM_TABLES and "_fts" not in t}
    assert unexplained == set()


async def test_catalog_describes_and_counts(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    before = {e["name"]: e for e in (await client.get("/api/v1/catalog", headers=auth("viewer"))).json()}
    await create(client, auth("operator", region="330502"))
    entries = {e["name"]: e for e in (await client.get("/api/v1/catalog", headers=auth("viewer"))).json()}
    assert set(entries) == set(ENTITIES)
    members = entries["recipient_member"]
    personal = {f["name"] for f in members["fields"] if f["personal"]}
    assert {"id_number_enc", "id_number_hash", "id_number_masked", "name", "birth_date"} <= personal
    assert "relation" not in personal
    assert all(f["meaning"] and f["type"] for f in members["fields"])
    households = entries["recipient_household"]
    assert households["count"] == before["recipient_household"]["count"] + 1
    by_child = {c["region_code"]: c["count"] for c in households["children"]}
    assert (
        by_child["330502000000"]
        == {c["region_code"]: c["count"] for c in before["recipient_household"]["children"]}["330502000000"]
        + 1
    )
    assert sum(by_child.values()) == households["count"]
    assert households["last_changed_at"] is not None
    assert entries["region"]["kind"] == "reference"
    county = {
        e["name"]: e
        for e in (await client.get("/api/v1/catalog", headers=auth("viewer", region="330503"))).json()
    }
    assert county["recipient_household"]["count"] <= households["count"]
    assert all(c["region_code"].startswith("330503") for c in county["recipient_household"]["children"])


async def test_export_is_masked_streamed_and_audited(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    person = id_number("330502")
    await create(
        client,
        auth("operator", region="330502"),
        household(
            members=[{"name": "导出测试", "id_number": person, "relation": "head", "phone": "13955556666"}]
        ),
    )
    h = auth("operator", region="330502", sub="exporter")
    r = await client.get("/api/v1/catalog/recipient_member/export", params={"format": "csv"}, headers=h)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "id_number_enc" not in rows[0]
    assert "id_number_hash" not in rows[0]
    assert person not in text
    assert "13955556666" not in text
    assert "导出测试" not in text
    assert person[:6] + "********" + person[-4:] in text
    assert any(row["name"] == "导*" + "*" * 2 for row in rows)
    events = (
        await client.get(
            "/api/v1/audit/events",
            params={"action": "catalog.export", "actor": "exporter"},
            headers=auth("auditor"),
        )
    ).json()["items"]
    assert events[0]["resource_type"] == "recipient_member"

    x = await client.get("/api/v1/catalog/recipient_household/export", params={"format": "xlsx"}, headers=h)
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content), read_only=True).worksheets[0]
    header = next(sheet.iter_rows(values_only=True))
    assert "head_name" in header

    assert (
        await client.get("/api/v1/catalog/recipient_member/export", headers=auth("viewer"))
    ).status_code == 403
    assert (await client.get("/api/v1/catalog/nothing/export", headers=h)).status_code == 404
