"""The care lists' filters over HTTP (runs on SQLite and on PostgreSQL): each list's filters
narrow one query together — a combination returns the rows that meet all of them, in the list
and in its export — unknown parameters are ignored, and bad values are refused together."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from app.core.clock import clock
from tests.care.helpers import (
    NEEDS,
    REFERRALS,
    RESOURCES,
    VISITS,
    household,
    member,
    move,
    need,
    noon,
    refer,
    resource,
    visit,
)
from tests.conftest import TokenFactory
from tests.factories import ARABIC_INDIC, full_width, id_number

EAST = "330502104000"  # 埭溪镇: no other test writes here
WEST = "330502105000"  # 东林镇: nor here
COUNTY = "330502000000"


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


async def test_need_filters_combine_in_the_list_and_the_export(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    person, other = id_number("330502"), id_number("330502")
    late = await need(client, op, EAST, person=person, type="medical", urgency="urgent")
    meals = await need(client, op, EAST, person=person, type="meals")
    west = await need(client, op, WEST, person=other, type="medical")
    place = await resource(client, op, EAST, ["medical"], name="埭溪助医")
    with clock.frozen(noon(date(2027, 1, 8))):  # a Friday: to be accepted by Wednesday the 13th
        assert (await refer(client, op, late["id"], place["id"])).status_code == 201
    mine = {late["id"], meals["id"], west["id"]}

    with clock.frozen(noon(date(2027, 1, 14))):

        async def ids(**params: Any) -> list[str]:
            return await _ids(client, NEEDS, op, mine, **params)

        assert await ids(region_code="330502") == [west["id"], meals["id"], late["id"]]
        assert await ids(region_code=EAST, type="medical") == [late["id"]]
        assert await ids(id_number=person.lower(), status="open") == [meals["id"]]
        assert await ids(id_number=person, status="referred", urgency="urgent", source="self") == [late["id"]]
        assert await ids(id_number=person, urgency="routine", type="medical") == []
        assert await ids(type="medical", overdue="true", region_code="330502") == [late["id"]]
        assert await ids(type="medical", overdue="false", region_code="330502") == [west["id"]]
        assert await ids(id_number=person, overdue="false") == [meals["id"]]
        assert await ids(id_number=other, region_code=EAST) == []
        assert await ids(id_number=person, colour="blue", priority="high") == [meals["id"], late["id"]]

        r = await client.get(
            f"{NEEDS}/export", params={"id_number": person, "overdue": "true", "format": "csv"}, headers=op
        )
        assert r.status_code == 200
        rows = list(r.content.decode("utf-8-sig").splitlines())
        assert len(rows) == 2  # the header and the overdue need
        assert late["id"] in rows[1]

    bad = await client.get(
        NEEDS,
        params={"region_code": "3305", "type": "food", "id_number": "3305021", "overdue": "maybe"},
        headers=op,
    )
    assert _errors(bad) == [
        ["query", "region_code"],
        ["query", "type"],
        ["query", "id_number"],
        ["query", "overdue"],
    ]
    assert _errors(await client.get(f"{NEEDS}/export", params={"status": "lost"}, headers=op)) == [
        ["query", "status"]
    ]


async def test_needs_are_found_by_any_spelling_of_the_number(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    person = id_number("330502")
    mine = await need(client, op, EAST, person=person)

    for spelling in (full_width(person), f"{person[:6]} {person[6:]}"):
        assert await _ids(client, NEEDS, op, {mine["id"]}, id_number=spelling) == [mine["id"]]

    refused = await client.get(NEEDS, params={"id_number": person.translate(ARABIC_INDIC)}, headers=op)
    assert _errors(refused) == [["query", "id_number"]]
    assert "digits must be 0-9" in refused.json()["errors"][0]["msg"]


async def test_referral_filters_combine(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    op = auth("operator", region="330502")
    first = await need(client, op, EAST, type="legal")
    second = await need(client, op, EAST, type="legal")
    third = await need(client, op, WEST, type="legal")
    near = await resource(client, op, EAST, ["legal"], name="埭溪法援")
    wide = await resource(client, op, COUNTY, ["legal"], name="吴兴法援")
    with clock.frozen(noon(date(2027, 1, 8))):
        late = (await refer(client, op, first["id"], near["id"])).json()
        timely = (await refer(client, op, second["id"], wide["id"], due_on="2027-02-01")).json()
        west = (await refer(client, op, third["id"], wide["id"])).json()
    with clock.frozen(noon(date(2027, 1, 11))):
        accepted = await move(client, op, timely["id"], "accept")
        assert accepted.status_code == 200, accepted.text
    mine = {late["id"], timely["id"], west["id"]}

    with clock.frozen(noon(date(2027, 1, 14))):

        async def ids(**params: Any) -> list[str]:
            return await _ids(client, REFERRALS, op, mine, **params)

        assert await ids(region_code="330502") == [west["id"], timely["id"], late["id"]]
        assert await ids(resource_id=wide["id"]) == [west["id"], timely["id"]]
        assert await ids(resource_id=wide["id"], region_code=EAST) == [timely["id"]]
        assert await ids(resource_id=wide["id"], status="dispatched") == [west["id"]]
        assert await ids(resource_id=wide["id"], overdue="true") == [west["id"]]
        assert await ids(region_code=EAST, overdue="true") == [late["id"]]
        assert await ids(region_code=EAST, overdue="false", status="accepted") == [timely["id"]]
        assert await ids(need_id=first["id"], resource_id=wide["id"]) == []
        assert await ids(need_id=first["id"], status="dispatched", overdue="true", shape="x") == [late["id"]]

    bad = await client.get(
        REFERRALS, params={"status": "lost", "need_id": "not-a-uuid", "overdue": "2"}, headers=op
    )
    assert _errors(bad) == [["query", "status"], ["query", "need_id"], ["query", "overdue"]]


async def test_resource_filters_combine_in_the_list_and_the_export(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    east = await resource(
        client, op, EAST, ["home_adaptation"], name="埭溪适老化", provider_kind="enterprise"
    )
    county = await resource(
        client, op, COUNTY, ["home_adaptation", "care"], name="吴兴适老化", provider_kind="government"
    )
    west = await resource(
        client, op, WEST, ["home_adaptation"], name="东林适老化", provider_kind="enterprise"
    )
    retired = await resource(
        client, op, EAST, ["home_adaptation"], name="停办适老化", provider_kind="enterprise"
    )
    r = await client.patch(
        f"{RESOURCES}/{retired['id']}", json={"active": False}, headers={**op, "If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    mine = {east["id"], county["id"], west["id"], retired["id"]}

    async def ids(**params: Any) -> list[str]:
        return await _ids(client, RESOURCES, op, mine, **params)

    assert await ids(need_type="home_adaptation") == [retired["id"], west["id"], county["id"], east["id"]]
    assert await ids(serving=EAST, need_type="home_adaptation") == [retired["id"], county["id"], east["id"]]
    assert await ids(serving=EAST[:6], need_type="home_adaptation") == [county["id"]]
    assert await ids(serving=EAST, active="true", provider_kind="enterprise") == [east["id"]]
    assert await ids(serving=WEST, need_type="care") == [county["id"]]
    assert await ids(region_code=EAST, active="false") == [retired["id"]]
    assert await ids(region_code="330502", provider_kind="enterprise", active="true") == [
        west["id"],
        east["id"],
    ]
    assert await ids(region_code=WEST, serving=EAST) == []
    assert await ids(region_code=EAST, state="on", kind="x") == [retired["id"], east["id"]]

    r = await client.get(
        f"{RESOURCES}/export",
        params={"serving": WEST, "need_type": "home_adaptation", "format": "csv"},
        headers=op,
    )
    assert r.status_code == 200
    text = r.content.decode("utf-8-sig")
    assert "东林适老化" in text
    assert "吴兴适老化" in text
    assert "埭溪适老化" not in text

    bad = await client.get(
        RESOURCES,
        params={
            "region_code": "33050",
            "serving": "x",
            "need_type": "food",
            "provider_kind": "?",
            "active": "maybe",
        },
        headers=op,
    )
    assert _errors(bad) == [
        ["query", "region_code"],
        ["query", "serving"],
        ["query", "need_type"],
        ["query", "provider_kind"],
        ["query", "active"],
    ]


async def test_visit_filters_combine(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    op = auth("operator", region="330502")
    head = member(born=date(1950, 4, 1), region="330502")
    spouse = member(relation="spouse", born=date(1952, 5, 2), region="330502")
    home = await household(client, op, EAST, [head, spouse])
    stranger = id_number("330502")
    first = await visit(client, op, EAST, head["id_number"], date(2026, 10, 1))
    second = await visit(client, op, EAST, spouse["id_number"], date(2026, 11, 1))
    third = await visit(client, op, EAST, head["id_number"], date(2026, 11, 15))
    outside = await visit(client, op, WEST, stranger, date(2026, 11, 1))
    mine = {first["id"], second["id"], third["id"], outside["id"]}
    assert first["household_id"] == home["id"]
    assert outside["household_id"] is None

    async def ids(**params: Any) -> list[str]:
        return await _ids(client, VISITS, op, mine, **params)

    assert await ids(region_code="330502") == [outside["id"], third["id"], second["id"], first["id"]]
    assert await ids(household_id=home["id"]) == [third["id"], second["id"], first["id"]]
    assert await ids(household_id=home["id"], visited_from="2026-11-01") == [third["id"], second["id"]]
    assert await ids(household_id=home["id"], id_number=head["id_number"], visited_to="2026-11-14") == [
        first["id"]
    ]
    assert await ids(
        id_number=head["id_number"].lower(), visited_from="2026-11-15", visited_to="2026-11-15"
    ) == [third["id"]]
    assert await ids(visited_from="2026-11-01", visited_to="2026-11-01", region_code="330502") == [
        outside["id"],
        second["id"],
    ]
    assert await ids(id_number=stranger, region_code=EAST) == []
    assert await ids(id_number=stranger, person="x", household="y") == [outside["id"]]

    bad = await client.get(
        VISITS,
        params={
            "id_number": "x",
            "household_id": "1",
            "visited_from": "2026-13-01",
            "visited_to": "1899-12-31",
        },
        headers=op,
    )
    assert _errors(bad) == [
        ["query", "id_number"],
        ["query", "household_id"],
        ["query", "visited_from"],
        ["query", "visited_to"],
    ]


async def test_due_visit_filters_combine_in_the_list_and_the_export(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    day = date(2027, 5, 3)
    alone = member(born=date(1938, 2, 2), name="独居九十", living_alone=True)
    tekun = member(born=date(1961, 3, 3), name="分散特困")
    far = member(born=date(1939, 4, 4), name="东林独居", living_alone=True)
    with clock.frozen(noon(day)):
        names = {
            (await household(client, op, EAST, [alone]))["members"][0]["id"]: "alone",
            (await household(client, op, EAST, [tekun], category="tekun", support_mode="home"))["members"][0][
                "id"
            ]: "tekun",
            (await household(client, op, WEST, [far]))["members"][0]["id"]: "far",
        }
        await visit(client, op, EAST, alone["id_number"], day)

    async def due(**params: Any) -> set[tuple[str, str, bool]]:
        r = await client.get(f"{VISITS}/due", params={"limit": 500, **params}, headers=op)
        assert r.status_code == 200, r.text
        return {
            (names[i["member_id"]], i["due_on"], i["overdue"])
            for i in r.json()["items"]
            if i["member_id"] in names
        }

    tekun_due, far_due, alone_due = (
        ("tekun", "2027-05-03", True),
        ("far", "2027-05-03", True),
        ("alone", "2027-05-10", False),
    )
    with clock.frozen(noon(date(2027, 5, 4))):
        assert await due(region_code=EAST) == {tekun_due}
        assert await due(region_code="330502") == {tekun_due, far_due}
        assert await due(region_code="330502", rule="elderly_living_alone") == {far_due}
        assert await due(region_code=EAST, within_days=5, rule="elderly_living_alone") == set()
        assert await due(region_code=EAST, within_days=6, rule="elderly_living_alone") == {alone_due}
        assert await due(region_code=EAST, within_days=6) == {tekun_due, alone_due}
        assert await due(region_code=EAST, within_days=6, overdue="false") == {alone_due}
        assert await due(region_code="330502", within_days=6, overdue="true") == {tekun_due, far_due}
        assert await due(region_code=WEST, rule="tekun_at_home") == set()
        assert await due(region_code=EAST, bucket="all") == {tekun_due}

        r = await client.get(
            f"{VISITS}/due/export",
            params={
                "region_code": "330502",
                "rule": "elderly_living_alone",
                "within_days": 6,
                "format": "csv",
            },
            headers=op,
        )
        assert r.status_code == 200
        text = r.content.decode("utf-8-sig")
        assert {name for member_id, name in names.items() if member_id in text} == {"alone", "far"}

    bad = await client.get(
        f"{VISITS}/due",
        params={"region_code": "1", "within_days": 367, "rule": "x", "overdue": "z"},
        headers=op,
    )
    assert _errors(bad) == [
        ["query", "region_code"],
        ["query", "within_days"],
        ["query", "rule"],
        ["query", "overdue"],
    ]
    negative = await client.get(f"{VISITS}/due/export", params={"within_days": -1}, headers=op)
    assert _errors(negative) == [["query", "within_days"]]
