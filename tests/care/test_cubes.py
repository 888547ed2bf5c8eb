"""The care loop's cubes — needs, referrals, visits — asked over HTTP: counts by need type,
status and month, scoped to the caller, against what the test itself recorded."""

from __future__ import annotations

import httpx

from tests.care.helpers import REFERRALS, VISITS, need, resource
from tests.conftest import TokenFactory
from tests.factories import id_number

TOWN = "330522108000"  # a township no other test writes to
OTHER = "330522106000"


async def test_needs_referrals_and_visits_by_dimension(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    op = auth("operator", region="330522")
    viewer = auth("viewer", region=TOWN)
    for kind in ("medical", "medical", "meals"):
        await need(client, op, TOWN, type=kind)
    await need(client, op, OTHER, type="legal")  # outside the viewer's scope
    served = await need(client, op, TOWN, type="care", urgency="urgent")
    provider = await resource(client, op, TOWN, need_types=["care"], capacity=5)
    r = await client.post(
        REFERRALS, json={"need_id": served["id"], "resource_id": provider["id"]}, headers=op
    )
    assert r.status_code == 201, r.text
    person = id_number("330522")
    r = await client.post(
        VISITS,
        json={
            "region_code": TOWN,
            "person": {"id_number": person},
            "visited_on": "2026-11-20",
            "visitor": "社工小王",
            "findings": "独居，身体尚可",
            "needs": [],
        },
        headers=op,
    )
    assert r.status_code == 201, r.text

    r = await client.get("/api/v1/analytics/needs", params={"by": "kind"}, headers=viewer)
    assert r.status_code == 200, r.text
    body = r.json()
    by_kind = {row["kind"]: row["count"] for row in body["rows"]}
    assert by_kind == {"medical": 2, "meals": 1, "care": 1}
    assert body["totals"]["count"] == 4

    r = await client.get("/api/v1/analytics/needs", params={"by": "status,urgency"}, headers=viewer)
    rows = {(row["status"], row["urgency"]): row["count"] for row in r.json()["rows"]}
    assert rows == {("open", "routine"): 3, ("referred", "urgent"): 1}

    r = await client.get("/api/v1/analytics/referrals", params={"by": "status"}, headers=viewer)
    assert [(row["status"], row["count"]) for row in r.json()["rows"]] == [("dispatched", 1)]

    r = await client.get(
        "/api/v1/analytics/visits",
        params={"by": "month", "from": "2026-11-01", "to": "2026-11-30"},
        headers=viewer,
    )
    assert r.status_code == 200, r.text
    assert [(row["month"], row["count"]) for row in r.json()["rows"]] == [("2026-11", 1)]


async def test_care_cubes_are_listed_and_check_their_names(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    viewer = auth("viewer", region="330522")
    listed = (await client.get("/api/v1/analytics/cubes", headers=viewer)).json()
    names = {cube["name"] for cube in (listed["cubes"] if isinstance(listed, dict) else listed)}
    assert {"needs", "referrals", "visits"} <= names
    r = await client.get(
        "/api/v1/analytics/needs", params={"by": "sex", "measures": "amount"}, headers=viewer
    )
    assert r.status_code == 422
    assert "sex" in r.text
    assert "amount" in r.text
