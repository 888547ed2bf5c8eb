"""Audit events carry the region of what they concern; an auditor reads and verifies within
its own scope (a principal whose scope covers the node also sees the node's own events), and a
verification over a scope still recomputes the whole chain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.ledger.chain import GENESIS, event_hash
from app.main import create_app
from app.reference import load_reference
from app.security.tokens import mint
from tests.conftest import make_settings
from tests.factories import id_number
from tests.recipient.helpers import create, household


def test_the_region_is_part_of_the_hash() -> None:
    event = {"seq": 1, "occurred_at": None, "actor_sub": "a", "action": "x", "prev_hash": GENESIS}
    without = event_hash(event)
    assert event_hash({**event, "region_code": ""}) == without  # events before regions keep their hash
    assert event_hash({**event, "region_code": "330502001000"}) != without
    assert event_hash({**event, "region_code": "330502001000"}) != event_hash(
        {**event, "region_code": "330503001000"}
    )


@pytest.fixture
async def node(fresh_db: Callable[..., Any]) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    settings = make_settings(await fresh_db())
    db = Database(settings)
    await load_reference(db, settings)
    app = create_app(settings, database=db)

    def token(*roles: str, region: str, sub: str = "t") -> dict[str, str]:
        return {"Authorization": "Bearer " + mint(settings, sub=sub, roles=list(roles), region=region)}

    transport = httpx.ASGITransport(app=app, client=("192.0.2.44", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c, token
    await db.dispose()


def _member(region: str) -> dict[str, Any]:
    return {"name": "周到", "id_number": id_number(region), "relation": "head"}


async def _events(c: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": "500", **params, **({"cursor": cursor} if cursor else {})}
        r = await c.get("/api/v1/audit/events", params=query, headers=headers)
        assert r.status_code == 200, r.text
        out.extend(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if not cursor:
            return out


async def test_an_auditor_reads_only_its_own_county(node: tuple[httpx.AsyncClient, Any]) -> None:
    c, token = node
    wuxing = await create(c, token("operator", region="330502", sub="op-wuxing"), household())
    nanxun = await create(
        c,
        token("operator", region="330503", sub="op-nanxun"),
        household(region="330503001000", members=[_member("330503")]),
    )
    await c.get("/api/v1/regions", headers={"Authorization": "Bearer broken"})  # a system event

    county = await _events(c, token("auditor", region="330503"))
    assert county, "the county's own events are shown"
    assert {e["region_code"][:6] for e in county} == {"330503"}
    assert all(wuxing["id"] not in str(e) for e in county)
    assert nanxun["id"] in {e["resource_id"] for e in county}

    city = await _events(c, token("auditor", region="330500"))
    regions = {e["region_code"][:6] for e in city}
    assert {"330502", "330503", ""} <= regions  # both counties, and the node's own events
    assert any(e["action"] == "auth.denied" and e["region_code"] == "" for e in city)

    only = await _events(c, token("auditor", region="330500"), region_code="330502")
    assert only
    assert {e["region_code"][:6] for e in only} == {"330502"}
    outside = await _events(c, token("auditor", region="330503"), region_code="330502")
    assert outside == []


async def test_verification_over_a_scope_proves_the_whole_chain(node: tuple[httpx.AsyncClient, Any]) -> None:
    c, token = node
    await create(c, token("operator", region="330502"), household())
    await create(
        c, token("operator", region="330503"), household(region="330503001000", members=[_member("330503")])
    )
    city = (await c.get("/api/v1/audit/verify", headers=token("auditor", region="330500"))).json()
    county = (await c.get("/api/v1/audit/verify", headers=token("auditor", region="330503"))).json()
    assert city["ok"] is True
    assert county["ok"] is True
    assert county["checked"] == city["checked"]  # the whole chain, whatever the scope
    assert county["head"] == city["head"]
    assert county["scope"] == "330503000000"
    assert 0 < county["in_scope"] < city["in_scope"] <= city["checked"]
    assert county["in_scope"] == len(await _events(c, token("auditor", region="330503")))
