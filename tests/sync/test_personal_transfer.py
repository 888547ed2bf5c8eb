"""A feed or snapshot page that carries personal data in clear (the sync role gets ID and phone
numbers decrypted, and names) is audited as a personal-data transfer, with counts per entity
and field — never the values."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.factories import id_number
from tests.recipient.helpers import household
from tests.sync.nodes import Node, make_node


@pytest.fixture
async def county(fresh_db: Callable[..., Any]) -> AsyncIterator[Node]:
    node = await make_node(await fresh_db(), "330502")
    yield node
    await node.db.dispose()


async def _transfers(node: Node) -> list[dict[str, Any]]:
    async with node.client() as c:
        r = await c.get(
            "/api/v1/audit/events", params={"action": "pii.transfer"}, headers=node.token("auditor")
        )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_feed_and_snapshot_pages_are_audited_as_transfers(county: Node) -> None:
    people = [
        {"name": "甲", "id_number": id_number("330502"), "relation": "head", "phone": "13812345678"},
        {"name": "乙", "id_number": id_number("330502"), "relation": "spouse"},
    ]
    async with county.client() as c:
        r = await c.post(
            "/api/v1/recipients", json=household(members=people), headers=county.token("operator")
        )
        assert r.status_code == 201, r.text
        sync = county.token("sync", region="330500", sub="node-330500")
        page = await c.get("/api/v1/sync/changes", headers=sync)
        assert page.status_code == 200
        assert people[0]["id_number"] in page.text  # the sync role gets them in clear
        no_personal = await c.get("/api/v1/sync/changes", params={"entities": "region"}, headers=sync)
        assert no_personal.status_code == 200

    events = await _transfers(county)
    assert len(events) == 1, "a page without personal data is no transfer"
    event = events[0]
    assert event["actor_sub"] == "node-330500"
    assert event["resource_type"] == "sync_feed"
    assert event["region_code"] == "330502000000"
    assert event["details"]["records"] == 3
    assert event["details"]["entities"]["recipient_member"] == {
        "records": 2,
        "fields": {"id_number_enc": 2, "phone_enc": 1, "name": 2, "birth_date": 2},
    }
    assert event["details"]["entities"]["recipient_household"]["fields"] == {"head_name": 1}
    assert len(event["details"]["sha256"]) == 64
    assert people[0]["id_number"] not in str(event)
    assert "13812345678" not in str(event)

    async with county.client() as c:
        snap = await c.get("/api/v1/sync/snapshot", params={"entity": "recipient_member"}, headers=sync)
        assert snap.status_code == 200
    latest = (await _transfers(county))[0]
    assert latest["resource_type"] == "sync_snapshot"
    assert latest["details"]["entities"] == {
        "recipient_member": {
            "records": 2,
            "fields": {"id_number_enc": 2, "phone_enc": 1, "name": 2, "birth_date": 2},
        }
    }
