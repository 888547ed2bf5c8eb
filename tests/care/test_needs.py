"""Needs over HTTP (runs on SQLite and on PostgreSQL): create, read, list, correct, scope,
roles, concurrency, idempotency, the person's own moves, the change feed."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.care.helpers import NEEDS, household, member, need
from tests.conftest import TokenFactory
from tests.factories import id_number

TOWN = "330502007000"  # 康山街道


async def test_a_need_is_recorded_masked_labelled_and_linked_to_the_household(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    head = member(region="330502", name="钱阿婆")
    house = await household(client, op, TOWN, [head])
    r = await client.post(
        NEEDS,
        json={
            "region_code": TOWN,
            "person": {"id_number": head["id_number"], "name": "钱阿婆"},
            "type": "home_adaptation",
            "description": "卫生间需要加装扶手",
            "urgency": "urgent",
            "source": "self",
        },
        headers=op,
    )
    assert r.status_code == 201, r.text
    got = r.json()
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == f"{NEEDS}/{got['id']}"
    assert got["person"] == {
        "name": "钱阿婆",
        "id_number": head["id_number"][:6] + "********" + head["id_number"][-4:],
    }
    assert head["id_number"] not in r.text
    assert (got["type"], got["type_label"]) == ("home_adaptation", "居家改善/适老化")
    assert (got["status"], got["status_label"], got["urgency_label"], got["source_label"]) == (
        "open",
        "待派单",
        "紧急",
        "本人申请",
    )
    assert got["household_id"] == house["id"]
    assert got["overdue"] is False
    assert got["referral_id"] is None

    viewer = auth("viewer", region="330502")
    r = await client.get(f"{NEEDS}/{got['id']}", headers=viewer)
    assert r.status_code == 200
    assert r.json()["description"] == "卫生间需要加装扶手"
    assert r.headers["etag"] == '"1"'
    r = await client.get(f"{NEEDS}/{got['id']}", params={"reveal": "true"}, headers=viewer)
    assert r.status_code == 403
    r = await client.get(f"{NEEDS}/{got['id']}", params={"reveal": "true"}, headers=op)
    assert r.json()["person"]["id_number"] == head["id_number"]

    r = await client.get(NEEDS, params={"id_number": head["id_number"]}, headers=viewer)
    assert [n["id"] for n in r.json()["items"]] == [got["id"]]
    r = await client.get(NEEDS, params={"id_number": head["id_number"], "type": "medical"}, headers=viewer)
    assert r.json()["items"] == []


async def test_scope_roles_and_validation(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    op = auth("operator", region="330502")
    created = await need(client, op, TOWN)

    # Another county neither sees nor finds it; writing into its region is forbidden.
    other = auth("operator", region="330503")
    assert (await client.get(f"{NEEDS}/{created['id']}", headers=other)).status_code == 404
    r = await client.patch(
        f"{NEEDS}/{created['id']}", json={"urgency": "urgent"}, headers={**other, "If-Match": '"1"'}
    )
    assert r.status_code == 404
    r = await client.get(NEEDS, params={"region_code": "330502", "limit": 500}, headers=other)
    assert created["id"] not in {n["id"] for n in r.json()["items"]}
    r = await client.post(
        NEEDS,
        json={"region_code": TOWN, "person": {"id_number": id_number(), "name": "甲"}, "type": "care"},
        headers=other,
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")

    # A social-work station is an operator token scoped to its township.
    station = auth("operator", region=TOWN)
    assert (await client.get(f"{NEEDS}/{created['id']}", headers=station)).status_code == 200
    neighbour = auth("operator", region="330502008000")
    assert (await client.get(f"{NEEDS}/{created['id']}", headers=neighbour)).status_code == 404

    viewer = auth("viewer", region="330502")
    r = await client.post(
        NEEDS,
        json={"region_code": TOWN, "person": {"id_number": id_number(), "name": "甲"}, "type": "care"},
        headers=viewer,
    )
    assert r.status_code == 403

    bad = {
        "region_code": TOWN,
        "person": {"id_number": "330502195001010000", "name": ""},
        "type": "haircut",
        "urgency": "soon",
        "source": "rumour",
    }
    r = await client.post(NEEDS, json=bad, headers=op)
    assert r.status_code == 422
    locs = {tuple(e["loc"]) for e in r.json()["errors"]}
    assert {
        ("body", "person", "id_number"),
        ("body", "person", "name"),
        ("body", "type"),
        ("body", "urgency"),
        ("body", "source"),
    } <= locs
    r = await client.post(
        NEEDS,
        json={
            "region_code": "330599000000",
            "person": {"id_number": id_number(), "name": "甲"},
            "type": "care",
        },
        headers=auth("operator", region="330500"),
    )
    assert r.status_code == 422
    r = await client.post(
        NEEDS,
        json={
            "region_code": TOWN,
            "person": {"id_number": id_number(), "name": "甲"},
            "type": "care",
            "household_id": "0190a0a0-0000-7000-8000-000000000000",
        },
        headers=op,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "household_id"]


async def test_updates_need_if_match_and_creates_replay(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502", sub="needs-writer")
    created = await need(client, op, TOWN)
    url = f"{NEEDS}/{created['id']}"
    assert (await client.patch(url, json={"urgency": "urgent"}, headers=op)).status_code == 428
    assert (
        await client.patch(url, json={"urgency": "urgent"}, headers={**op, "If-Match": '"7"'})
    ).status_code == 412
    r = await client.patch(
        url, json={"urgency": "urgent", "description": "加急"}, headers={**op, "If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["urgency"], r.json()["description"], r.headers["etag"]) == ("urgent", "加急", '"2"')

    body = {"region_code": TOWN, "person": {"id_number": id_number(), "name": "赵六"}, "type": "meals"}
    key = {**op, "Idempotency-Key": "need-replay-1"}
    first = await client.post(NEEDS, json=body, headers=key)
    again = await client.post(NEEDS, json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers.get("idempotency-replayed") == "true"
    different = await client.post(NEEDS, json={**body, "type": "legal"}, headers=key)
    assert different.status_code == 422


async def test_the_person_declines_withdraws_and_reopens(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    created = await need(client, op, TOWN)
    url = f"{NEEDS}/{created['id']}/transitions"
    r = await client.post(url, json={"action": "decline", "note": "本人不需要"}, headers=op)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["ended_on"] is not None) == ("declined", True)
    r = await client.post(url, json={"action": "withdraw"}, headers=op)
    assert r.status_code == 409
    problem = r.json()
    assert problem["status"] == 409
    assert problem["need_status"] == "declined"
    assert problem["allowed_actions"] == ["reopen"]
    r = await client.post(url, json={"action": "reopen"}, headers=op)
    assert (r.json()["status"], r.json()["ended_on"]) == ("open", None)
    r = await client.post(url, json={"action": "withdraw"}, headers={**op, "If-Match": '"1"'})
    assert r.status_code == 412
    r = await client.post(url, json={"action": "withdraw"}, headers=op)
    assert r.json()["status"] == "withdrawn"
    r = await client.get(NEEDS, params={"status": "withdrawn", "region_code": TOWN, "limit": 500}, headers=op)
    assert created["id"] in {n["id"] for n in r.json()["items"]}


async def test_vocabularies_carry_chinese_labels(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("viewer", region="330502")
    r = await client.get(f"{NEEDS}/types", headers=h)
    assert r.status_code == 200
    types = {t["code"]: t["label"] for t in r.json()["items"]}
    assert types == {
        "medical": "助医",
        "education": "助学",
        "care": "照护",
        "home_adaptation": "居家改善/适老化",
        "meals": "助餐",
        "employment": "助就业",
        "psychological": "心理疏导",
        "legal": "法律援助",
        "living": "基本生活",
        "other": "其他",
    }
    r = await client.get("/api/v1/care/vocabularies", headers=h)
    names = {v["name"]: {t["code"] for t in v["items"]} for v in r.json()}
    assert names["provider_kind"] == {
        "government",
        "social_org",
        "charity_trust",
        "enterprise",
        "volunteer",
        "social_work_station",
    }
    assert names["need_status"] == {"open", "referred", "served", "closed", "declined", "withdrawn"}
    assert names["source"] == {"self", "visit", "discovery", "referral_in"}
    assert names["urgency"] == {"routine", "urgent"}


async def test_writes_are_audited_and_fed_to_the_parent(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502", sub="feed-writer")
    created = await need(client, op, TOWN)
    events = (
        await client.get(
            "/api/v1/audit/events", params={"actor": "feed-writer", "limit": 500}, headers=auth("auditor")
        )
    ).json()["items"]
    assert any(e["action"] == "care_need.create" and e["resource_id"] == created["id"] for e in events)

    # On PostgreSQL a change is served once every older transaction on the server has ended:
    # read on from the last cursor until it arrives.
    sync = auth("sync", region="330500")
    seen: dict[str, dict[str, object]] = {}
    cursor = None
    deadline = time.monotonic() + 60
    while created["id"] not in seen and time.monotonic() < deadline:
        params: dict[str, str | int] = {"limit": 500, "entities": "care_need"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/sync/changes", params=params, headers=sync)).json()
        for change in page["changes"]:
            seen[change["id"]] = change
        cursor = page["next_cursor"]
        if not page["has_more"]:
            await asyncio.sleep(0.2)
    change = seen[created["id"]]
    assert change["entity"] == "care_need"
    snapshot = change["data"]
    assert isinstance(snapshot, dict)
    assert snapshot["type"] == "medical"
    assert snapshot["status"] == "open"
