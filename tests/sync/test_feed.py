"""Feed and puller between in-process nodes, each with its own database and keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.sync.exceptions import SchemaMismatch
from app.sync.repository import SyncRepository
from tests.factories import id_number
from tests.recipient.helpers import household, move
from tests.sync.nodes import Node, make_node


@pytest.fixture
async def pair(fresh_db: Callable[..., Any]) -> AsyncIterator[tuple[Node, Node]]:
    county = await make_node(await fresh_db(), "330502")
    city = await make_node(await fresh_db(), "330500", peers=[("wuxing", county, "child")])
    county.peers["huzhou"] = city
    yield county, city
    await county.db.dispose()
    await city.db.dispose()


async def _digests(node: Node, entities: str) -> list[dict[str, Any]]:
    async with node.client() as c:
        r = await c.get(
            "/api/v1/sync/digest",
            params={"entities": entities, "region_code": "330502"},
            headers=node.token("admin", region="330500"),
        )
        assert r.status_code == 200, r.text
        return list(r.json()["entries"])


async def test_records_flow_up_with_versions_and_pii_resealed(pair: tuple[Node, Node]) -> None:
    county, city = pair
    op = county.token("operator")
    person = id_number("330502")
    async with county.client() as c:
        body = household(
            members=[{"name": "上报", "id_number": person, "relation": "head", "phone": "13911112222"}]
        )
        created = (await c.post("/api/v1/recipients", json=body, headers=op)).json()
        await move(c, op, created["id"], "verify", "approve")
        gone = (await c.post("/api/v1/recipients", json=household(), headers=op)).json()
        assert (
            await c.delete(f"/api/v1/recipients/{gone['id']}", headers={**op, "If-Match": '"1"'})
        ).status_code == 204

    puller = city.puller("wuxing")
    first = await puller.pull()
    assert first.outcome == "ok"
    assert first.applied > 0
    again = await city.puller("wuxing").pull()
    assert again.applied == 0

    async with city.client() as c:
        viewer = city.token("operator", region="330500")
        got = (await c.get(f"/api/v1/recipients/{created['id']}", headers=viewer)).json()
        assert got["version"] == 3
        assert got["status"] == "approved"
        assert got["origin"] == "330502000000"
        found = (await c.get("/api/v1/recipients", params={"id_number": person}, headers=viewer)).json()
        assert [h["id"] for h in found["items"]] == [created["id"]]
        clear = (
            await c.get(f"/api/v1/recipients/{created['id']}", params={"reveal": "true"}, headers=viewer)
        ).json()
        assert clear["members"][0]["id_number"] == person
        assert (await c.get(f"/api/v1/recipients/{gone['id']}", headers=viewer)).status_code == 404
        replica = await c.patch(
            f"/api/v1/recipients/{created['id']}",
            json={"monthly_income": "1.00"},
            headers={**viewer, "If-Match": '"3"'},
        )
        assert replica.status_code == 409
        assert replica.json()["origin"] == "330502000000"

    async with county.db.engine.connect() as conn:
        county_cipher = (
            await conn.execute(text("SELECT id_number_enc FROM recipient_member LIMIT 1"))
        ).scalar()
    async with city.db.engine.connect() as conn:
        city_ciphers = set((await conn.execute(text("SELECT id_number_enc FROM recipient_member"))).scalars())
    assert county_cipher not in city_ciphers

    entities = "recipient_household,recipient_member,recipient_transition"
    assert await _digests(county, entities) == await _digests(city, entities)

    async with city.client() as c:
        events = (
            await c.get("/api/v1/audit/events", params={"action": "sync.pull"}, headers=city.token("auditor"))
        ).json()["items"]
        assert events
        assert len(events[0]["details"]["sha256"]) == 64
    async with county.client() as c:
        served = (
            await c.get(
                "/api/v1/audit/events", params={"action": "sync.serve"}, headers=county.token("auditor")
            )
        ).json()["items"]
        assert {e["details"].get("sha256") for e in served} >= {events[0]["details"]["sha256"]}


async def test_reference_data_comes_down(pair: tuple[Node, Node], fresh_db: Callable[..., Any]) -> None:
    _county, city = pair
    child = await make_node(await fresh_db(), "330503", peers=[("huzhou", city, "parent")])
    try:
        async with city.client() as c:
            r = await c.post(
                "/api/v1/standards",
                json={
                    "kind": "dibao_annual",
                    "region_code": "330500",
                    "effective_from": "2026-01-01",
                    "value": "14400",
                },
                headers=city.token("admin"),
            )
            assert r.status_code == 201, r.text
            standard = r.json()
        session = await child.puller("huzhou").pull()
        assert session.applied >= 1
        async with child.client() as c:
            listed = (
                await c.get(
                    "/api/v1/standards",
                    params={"kind": "dibao_annual"},
                    headers=child.token("viewer", region="330503"),
                )
            ).json()["items"]
            assert standard["id"] in [s["id"] for s in listed]
            local = await c.post(
                "/api/v1/regions",
                json={"code": "330503001299", "name": "x"},
                headers=child.token("admin", region="330503"),
            )
            assert local.status_code == 201
    finally:
        await child.db.dispose()


async def test_new_epoch_answers_410_and_the_puller_resyncs(pair: tuple[Node, Node]) -> None:
    county, city = pair
    op = county.token("operator")
    async with county.client() as c:
        for _ in range(3):
            assert (await c.post("/api/v1/recipients", json=household(), headers=op)).status_code == 201
    await city.puller("wuxing").pull()
    async with city.db.reader() as s:
        cursor = (await SyncRepository(s).peer("wuxing")).cursor
    async with county.db.writer() as s, s.begin():
        await SyncRepository(s).set_state("epoch_salt", "restored-from-backup")
    async with county.client() as c:
        r = await c.get(
            "/api/v1/sync/changes", params={"cursor": cursor}, headers=county.token("sync", region="330500")
        )
        assert r.status_code == 410
        assert (await c.post("/api/v1/recipients", json=household(), headers=op)).status_code == 201
    session = await city.puller("wuxing").pull()
    assert session.kind == "full"
    entities = "recipient_household,recipient_member"
    assert await _digests(county, entities) == await _digests(city, entities)


async def test_forged_and_foreign_cursors(pair: tuple[Node, Node]) -> None:
    county, _city = pair
    h = county.token("sync", region="330500")
    async with county.client() as c:
        assert (
            await c.get("/api/v1/sync/changes", params={"cursor": "forged"}, headers=h)
        ).status_code == 400
        assert (
            await c.get("/api/v1/sync/changes", params={"entities": "nope"}, headers=h)
        ).status_code == 422
        empty = (await c.get("/api/v1/sync/changes", params={"entities": "payment"}, headers=h)).json()
        assert empty["changes"] == []
        assert empty["next_cursor"]
        assert (await c.get("/api/v1/sync/changes", headers=county.token("viewer"))).status_code == 403


async def test_schema_mismatch_stops_the_pull(pair: tuple[Node, Node]) -> None:
    _county, city = pair
    puller = city.puller("wuxing")
    puller.schema_version = "0000-other"
    with pytest.raises(SchemaMismatch):
        await puller.pull()
    async with city.client() as c:
        peers = (await c.get("/api/v1/sync/peers", headers=city.token("admin"))).json()
        assert "schema" in peers[0]["last_error"]


async def test_admin_pull_endpoint_and_lease(pair: tuple[Node, Node]) -> None:
    county, city = pair
    async with county.client() as c:
        await c.post("/api/v1/recipients", json=household(), headers=county.token("operator"))
    async with city.db.writer() as s, s.begin():
        assert await SyncRepository(s).take_lease("wuxing", "someone-else", 60)
    transport = httpx.ASGITransport(app=city.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as c:
        busy = await c.post("/api/v1/sync/peers/wuxing/pull", headers=city.token("admin"))
        assert busy.status_code == 409
        async with city.db.writer() as s, s.begin():
            await SyncRepository(s).release_lease("wuxing", "someone-else")
        missing = await c.post("/api/v1/sync/peers/nobody/pull", headers=city.token("admin"))
        assert missing.status_code == 404
        history = (await c.get("/api/v1/sync/peers/wuxing/sessions", headers=city.token("admin"))).json()
        assert isinstance(history, list)


async def test_a_members_self_care_record_flows_up(pair: tuple[Node, Node]) -> None:
    county, city = pair
    op = county.token("operator")
    care = {"assessed_on": "2026-01-20", "unable": ["bed_transfer", "bathing"]}
    body = household(
        category="tekun",
        members=[{"name": "自理", "id_number": id_number("330502"), "relation": "head", "self_care": care}],
    )
    async with county.client() as c:
        created = await c.post("/api/v1/recipients", json=body, headers=op)
        assert created.status_code == 201, created.text
    assert (await city.puller("wuxing").pull()).outcome == "ok"
    async with city.client() as c:
        got = await c.get(
            f"/api/v1/recipients/{created.json()['id']}", headers=city.token("viewer", region="330500")
        )
    assert got.json()["members"][0]["self_care"] == {**care, "tier": "partial"}
