"""No lost updates, and creating POSTs are safe to retry (both engines)."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household


async def test_two_updates_with_the_same_etag_one_wins(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    created = await create(client, h)
    url = f"/api/v1/recipients/{created['id']}"
    for _round in range(3):
        current = await client.get(url, headers=h)
        tag = current.headers["etag"]
        results = await asyncio.gather(
            client.patch(url, json={"monthly_income": "111.00"}, headers={**h, "If-Match": tag}),
            client.patch(url, json={"monthly_income": "222.00"}, headers={**h, "If-Match": tag}),
        )
        assert sorted(r.status_code for r in results) == [200, 412]
        winner = next(r for r in results if r.status_code == 200).json()
        final = (await client.get(url, headers=h)).json()
        assert final["monthly_income"] == winner["monthly_income"]
        assert final["version"] == int(tag.strip('"')) + 1


async def test_idempotency_key_replays_the_first_response(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = {**auth("operator", region="330502", sub="idem-user"), "Idempotency-Key": f"k-{id_number()}"}
    body = household()
    first = await client.post("/api/v1/recipients", json=body, headers=h)
    again = await client.post("/api/v1/recipients", json=body, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]
    different = await client.post("/api/v1/recipients", json=household(), headers=h)
    assert different.status_code == 422
    assert different.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    other_user = {
        **auth("operator", region="330502", sub="someone-else"),
        "Idempotency-Key": h["Idempotency-Key"],
    }
    other = await client.post("/api/v1/recipients", json=household(), headers=other_user)
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]


async def test_concurrent_repeats_create_one_record(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    key = f"race-{id_number()}"
    h = {**auth("operator", region="330502", sub="racer"), "Idempotency-Key": key}
    body = household()
    results = await asyncio.gather(
        *[client.post("/api/v1/recipients", json=body, headers=h) for _ in range(6)]
    )
    assert [r.status_code for r in results] == [201] * 6
    assert len({r.json()["id"] for r in results}) == 1
    person = body["members"][0]["id_number"]
    found = (
        await client.get(
            "/api/v1/recipients",
            params={"id_number": person, "count": "true"},
            headers=auth("viewer", region="330502"),
        )
    ).json()
    assert found["total"] == 1
