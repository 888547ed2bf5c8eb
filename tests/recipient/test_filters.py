"""The recipient lists' filters over HTTP (runs on SQLite and on PostgreSQL): each list's filters
narrow one query together — a combination returns the rows that meet all of them — unknown
parameters are ignored, and bad values are refused together, each at its field."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from app.core.clock import clock
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household
from tests.recipient.paying import approved, ran

PAYMENTS, DEATHS, RECIPIENTS = "/api/v1/payments", "/api/v1/deaths", "/api/v1/recipients"
HILLS = "330523108000"  # 天荒坪镇: no other test writes here
PLUMS = "330523110000"  # 梅溪镇: nor here


def _errors(response: httpx.Response) -> list[list[str | int]]:
    assert response.status_code == 422, response.text
    return [e["loc"] for e in response.json()["errors"]]


async def _ids(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], mine: set[str], **params: Any
) -> list[str]:
    """The ids the list answers, in its order, among ``mine`` (other tests share the database)."""
    r = await client.get(url, params={"limit": 500, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"] if item["id"] in mine]


async def test_payment_filters_combine(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330523")
    hills = await approved(client, h, HILLS, on=date(2026, 5, 5), income="100.00")
    plums = await approved(client, h, PLUMS, on=date(2026, 5, 5), income="100.00")
    may = await ran(client, h, HILLS, "2026-05")
    await ran(client, h, PLUMS, "2026-05")
    grant = await client.post(
        f"{RECIPIENTS}/{hills['id']}/grants", json={"amount": "300.00", "kind": "emergency"}, headers=h
    )
    assert grant.status_code == 201, grant.text
    listed = await client.get(PAYMENTS, params={"region_code": "330523", "limit": 500}, headers=h)
    ours = [p for p in listed.json()["items"] if p["household_id"] in {hills["id"], plums["id"]}]
    by = {(p["household_id"], p["kind"]): p["id"] for p in ours}
    assert set(by) == {(hills["id"], "dibao"), (hills["id"], "emergency"), (plums["id"], "dibao")}
    hills_dibao, hills_grant, plums_dibao = (
        by[hills["id"], "dibao"],
        by[hills["id"], "emergency"],
        by[plums["id"], "dibao"],
    )
    mine = set(by.values())

    async def ids(**params: Any) -> list[str]:
        return await _ids(client, PAYMENTS, h, mine, **params)

    assert await ids(region_code=HILLS) == sorted([hills_dibao, hills_grant], reverse=True)
    assert await ids(region_code="330523", kind="dibao") == sorted([hills_dibao, plums_dibao], reverse=True)
    assert await ids(run_id=may["id"]) == [hills_dibao]
    assert await ids(month="2026-05", region_code=PLUMS) == [plums_dibao]
    assert await ids(month=clock.this_month(), kind="emergency") == [hills_grant]
    assert await ids(run_id=may["id"], kind="emergency") == []
    assert await ids(region_code=HILLS, kind="dibao", colour="blue") == [hills_dibao]

    bad = await client.get(
        PAYMENTS, params={"region_code": "3305", "month": "2026-13", "kind": "x", "run_id": "1"}, headers=h
    )
    assert _errors(bad) == [
        ["query", "region_code"],
        ["query", "month"],
        ["query", "kind"],
        ["query", "run_id"],
    ]


async def test_payment_stats_filters(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330523")
    stats = await client.get(
        f"{PAYMENTS}/stats", params={"region_code": HILLS[:6], "month_from": "2026-05"}, headers=h
    )
    assert stats.status_code == 200, stats.text
    assert (stats.json()["region_code"], stats.json()["month_from"]) == ("330523000000", "2026-05")
    outside = await client.get(f"{PAYMENTS}/stats", params={"region_code": "330502"}, headers=h)
    assert outside.json()["region_code"] == "330523000000"  # a region outside the scope: the scope
    reversed_ = await client.get(
        f"{PAYMENTS}/stats", params={"month_from": "2026-06", "month_to": "2026-05"}, headers=h
    )
    assert _errors(reversed_) == [["query", "month_to"]]
    bad = await client.get(
        f"{PAYMENTS}/stats", params={"region_code": "1", "month_from": "2026-5", "month_to": "x"}, headers=h
    )
    assert _errors(bad) == [["query", "region_code"], ["query", "month_from"], ["query", "month_to"]]


async def test_death_filters_combine(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330523")
    people = [id_number("330523") for _ in range(3)]
    recorded = []
    for person, died_on in zip(people, ("2026-01-10", "2026-02-10", "2026-03-10"), strict=True):
        r = await client.post(
            DEATHS, json={"id_number": person, "died_on": died_on, "source": "public_security"}, headers=h
        )
        assert r.status_code == 201, r.text
        recorded.append(r.json()["id"])
    january, february, march = recorded
    mine = set(recorded)

    async def ids(**params: Any) -> list[str]:
        return await _ids(client, DEATHS, h, mine, **params)

    assert await ids() == [march, february, january]
    assert await ids(died_from="2026-02-01") == [march, february]
    assert await ids(died_to="2026-02-10") == [february, january]
    assert await ids(died_from="2026-02-01", died_to="2026-02-28") == [february]
    assert await ids(id_number=people[0], died_from="2026-02-01") == []
    assert await ids(id_number=people[2].lower(), died_to="2026-12-31", cause="x") == [march]

    bad = await client.get(
        DEATHS, params={"id_number": "x", "died_from": "2026-13-01", "died_to": "1899-12-31"}, headers=h
    )
    assert _errors(bad) == [["query", "id_number"], ["query", "died_from"], ["query", "died_to"]]


async def test_household_filters_refuse_bad_values_together(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330523")
    person = id_number("330523")
    created = await create(
        client,
        h,
        household(region=HILLS, members=[{"name": "筛选山", "id_number": person, "relation": "head"}]),
    )
    found = await _ids(
        client, RECIPIENTS, h, {created["id"]}, region_code=HILLS, status="applied", q="筛选", size="x"
    )
    assert found == [created["id"]]
    assert await _ids(client, RECIPIENTS, h, {created["id"]}, id_number=person, category="tekun") == []

    bad = await client.get(
        RECIPIENTS,
        params={"region_code": "3305", "category": "x", "status": "lost", "q": "", "id_number": "1"},
        headers=h,
    )
    assert _errors(bad) == [
        ["query", "region_code"],
        ["query", "category"],
        ["query", "status"],
        ["query", "q"],
        ["query", "id_number"],
    ]


async def test_discovery_filters_refuse_bad_values(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("viewer", region="330523")
    url = f"{RECIPIENTS}/discoveries"
    assert _errors(await client.get(url, params={"rule": "Bad-Rule", "region_code": "1"}, headers=h)) == [
        ["query", "rule"],
        ["query", "region_code"],
    ]
    unknown = await client.get(url, params={"rule": "no_such_rule"}, headers=h)
    assert _errors(unknown) == [["query", "rule"]]
    ok = await client.get(url, params={"rule": "elderly_care_missing", "region_code": HILLS}, headers=h)
    assert ok.status_code == 200, ok.text
    assert {d["rule"] for d in ok.json()["items"]} <= {"elderly_care_missing"}
