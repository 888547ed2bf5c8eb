"""Visits over HTTP (runs on SQLite and on PostgreSQL): who is due under which rule, recording
visits and the needs they find, overdue people in discoveries and the quality rule (the same
people by both), and discovery hits turned into needs."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from app.core.clock import clock
from tests.assessment.helpers import body as assessment_body
from tests.assessment.helpers import record as record_assessment
from tests.care.helpers import NEEDS, VISITS, household, member, noon, visit
from tests.conftest import TokenFactory

TOWN = "330502012000"  # 环渚街道
DAY = date(2027, 3, 1)


async def _people(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    """One person under each visit rule, and two under none, registered on DAY."""
    op = auth("operator", region="330502")
    people = {
        "alone": member(born=date(1940, 1, 10), name="独居高龄", living_alone=True),
        "tekun": member(born=date(1960, 2, 2), name="分散特困"),
        "child": member(born=date(2015, 6, 1), name="留守儿童", relation="child", parents_absent=True),
        "grandma": member(born=date(1955, 3, 3), name="祖母"),
        "disabled": member(born=date(1970, 7, 7), name="一级残疾", disability_grade=1),
        "spouse": member(born=date(1971, 8, 8), name="配偶", relation="spouse"),
        "assessed": member(born=date(1950, 9, 9), name="完全失能"),
        "younger": member(born=date(1950, 10, 10), name="独居七十七", living_alone=True),
    }
    with clock.frozen(noon(DAY)):
        await household(client, op, TOWN, [people["alone"]])
        await household(client, op, TOWN, [people["tekun"]], category="tekun", support_mode="home")
        await household(client, op, TOWN, [{**people["grandma"], "relation": "head"}, people["child"]])
        await household(client, op, TOWN, [people["disabled"], people["spouse"]])
        await household(client, op, TOWN, [people["assessed"]])
        await household(client, op, TOWN, [people["younger"]])
    assessed = await record_assessment(
        client,
        op,
        assessment_body(
            region=TOWN, person=people["assessed"]["id_number"], total=20, assessed_on=date(2026, 6, 1)
        ),
    )
    assert assessed["level"] == 4
    return people


def _masked(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


async def _due(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, dict[str, Any]]:
    r = await client.get(
        f"{VISITS}/due", params={"region_code": TOWN, "limit": 500, **params}, headers=headers
    )
    assert r.status_code == 200, r.text
    return {item["person"]["id_number"]: item for item in r.json()["items"]}


async def _quality(client: httpx.AsyncClient, headers: dict[str, str], on: date) -> set[str]:
    r = await client.get(
        "/api/v1/quality/visit_overdue",
        params={"region_code": TOWN, "as_of": on.isoformat(), "limit": 500},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return {f["key"] for f in r.json()["items"]}


async def _discovered(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    r = await client.get(
        "/api/v1/recipients/discoveries",
        params={"rule": "visit_overdue", "region_code": TOWN, "limit": 500},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return {d["member_id"] for d in r.json()["items"]}


async def test_visit_rules_due_dates_and_overdue_people(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    viewer = auth("viewer", region=TOWN)
    people = await _people(client, auth)
    ids = {k: _masked(v["id_number"]) for k, v in people.items()}

    rules = (await client.get(f"{VISITS}/rules", headers=viewer)).json()
    assert {r["code"]: r["interval_days"] for r in rules} == {
        "elderly_living_alone": 7,
        "tekun_at_home": 30,
        "severe_disability_assessed": 30,
        "severe_disability_household": 30,
        "children_parents_absent": 30,
    }

    with clock.frozen(noon(DAY)):
        due = await _due(client, viewer)
        expected = {
            "alone": "elderly_living_alone",
            "tekun": "tekun_at_home",
            "child": "children_parents_absent",
            "disabled": "severe_disability_household",
            "assessed": "severe_disability_assessed",
        }
        assert {k: due[ids[k]]["rule"] for k in expected} == expected
        assert not {ids["grandma"], ids["spouse"], ids["younger"]} & set(due)
        assert all(due[ids[k]]["due_on"] == "2027-03-01" and not due[ids[k]]["overdue"] for k in expected)
        assert due[ids["alone"]]["rule_title"] == "80岁及以上独居老人"
        assert due[ids["alone"]]["last_visited_on"] is None
        member_ids = {k: due[ids[k]]["member_id"] for k in expected}
        assert not set(member_ids.values()) & await _quality(client, viewer, DAY)
        assert not set(member_ids.values()) & await _discovered(client, viewer)

    next_day = date(2027, 3, 2)
    with clock.frozen(noon(next_day)):
        due = await _due(client, viewer, overdue="true")
        assert {ids[k] for k in expected} <= set(due)
        assert due[ids["alone"]]["days_overdue"] == 1
        # The same people by the SQL quality rule and by the discoveries (Python).
        overdue_now = set(member_ids.values())
        assert overdue_now <= await _quality(client, viewer, next_day)
        assert overdue_now <= await _discovered(client, viewer)
        assert await _quality(client, viewer, next_day) == await _discovered(client, viewer)

        recorded = await visit(
            client,
            op,
            TOWN,
            people["alone"]["id_number"],
            next_day,
            needs=[
                {"type": "meals", "description": "行动不便做饭难"},
                {"type": "medical", "urgency": "urgent"},
            ],
        )
        assert recorded["person"] == {"name": "独居高龄", "id_number": ids["alone"]}
        assert len(recorded["need_ids"]) == 2
        found = (
            await client.get(
                NEEDS, params={"id_number": people["alone"]["id_number"], "source": "visit"}, headers=op
            )
        ).json()
        assert {n["id"] for n in found["items"]} == set(recorded["need_ids"])
        assert all(n["visit_id"] == recorded["id"] and n["status"] == "open" for n in found["items"])
        # A visit to the spouse counts for the household rule.
        await visit(client, op, TOWN, people["spouse"]["id_number"], next_day)

        due = await _due(client, viewer)
        assert ids["alone"] not in due
        assert ids["disabled"] not in due
        ahead = await _due(client, viewer, within_days=30)
        assert (ahead[ids["alone"]]["due_on"], ahead[ids["alone"]]["last_visited_on"]) == (
            "2027-03-09",
            "2027-03-02",
        )
        assert ahead[ids["disabled"]]["due_on"] == "2027-04-01"
        still = await _quality(client, viewer, next_day)
        assert member_ids["alone"] not in still
        assert member_ids["disabled"] not in still
        assert member_ids["tekun"] in still
        assert still == await _discovered(client, viewer)

        assert (
            await client.post(
                VISITS,
                json={
                    "region_code": TOWN,
                    "person": {"id_number": people["tekun"]["id_number"]},
                    "visited_on": "2027-03-03",
                    "visitor": "x",
                },
                headers=op,
            )
        ).status_code == 422
        assert (
            await client.post(
                VISITS,
                json={
                    "region_code": "330503001000",
                    "person": {"id_number": people["tekun"]["id_number"]},
                    "visited_on": "2027-03-02",
                    "visitor": "x",
                },
                headers=op,
            )
        ).status_code == 403

    with clock.frozen(noon(date(2027, 3, 10))):
        assert member_ids["alone"] in await _quality(client, viewer, date(2027, 3, 10))
        assert (await _due(client, viewer))[ids["alone"]]["overdue"] is True

    listed = (
        await client.get(VISITS, params={"id_number": people["alone"]["id_number"]}, headers=viewer)
    ).json()
    assert [v["id"] for v in listed["items"]] == [recorded["id"]]
    r = await client.get(f"{VISITS}/{recorded['id']}", headers=viewer)
    assert r.status_code == 200
    assert r.headers["etag"] == '"1"'
    assert (
        await client.get(f"{VISITS}/{recorded['id']}", headers=auth("viewer", region="330503"))
    ).status_code == 404
    with clock.frozen(noon(date(2027, 3, 10))):
        r = await client.get(
            f"{VISITS}/due/export", params={"region_code": TOWN, "format": "csv"}, headers=op
        )
    assert r.status_code == 200
    text = r.content.decode("utf-8-sig")
    assert people["tekun"]["id_number"] not in text
    assert "分散特困" not in text
    assert ids["tekun"] in text
    assert "分**" in text

    # A visit recorded in error is deleted; the due date falls back.
    with clock.frozen(noon(date(2027, 3, 3))):
        mistaken = await visit(client, op, TOWN, people["tekun"]["id_number"], date(2027, 3, 3))
        assert ids["tekun"] not in await _due(client, viewer)
        url = f"{VISITS}/{mistaken['id']}"
        assert (await client.delete(url, headers=op)).status_code == 428
        assert (await client.delete(url, headers={**op, "If-Match": '"1"'})).status_code == 204
        assert (await _due(client, viewer))[ids["tekun"]]["due_on"] == "2027-03-01"


async def test_discovery_hits_become_needs_once_a_month(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502", sub="discovery-owner")
    disabled = member(born=date(1966, 4, 4), name="重残未领护理", disability_grade=2)
    town = "330502013000"  # 湖东街道
    with clock.frozen(noon(DAY)):
        await household(client, op, town, [disabled])
    url = "/api/v1/discoveries/disability_nursing_subsidy_missing/needs"
    with clock.frozen(noon(date(2027, 3, 5))):
        r = await client.post(url, json={"region_code": town}, headers=op)
        assert r.status_code == 201, r.text
        report = r.json()
        assert (report["rule"], report["month"], report["created"], report["existing"]) == (
            "disability_nursing_subsidy_missing",
            "2027-03",
            1,
            0,
        )
        made = report["items"][0]
        assert (made["source"], made["type"], made["discovery_rule"], made["status"]) == (
            "discovery",
            "care",
            "disability_nursing_subsidy_missing",
            "open",
        )
        assert made["person"]["id_number"] == _masked(disabled["id_number"])
        r = await client.post(url, json={"region_code": town}, headers=op)
        assert r.status_code == 200
        assert (r.json()["created"], r.json()["existing"]) == (0, 1)

        overdue = await client.post(
            "/api/v1/discoveries/visit_overdue/needs", json={"region_code": town}, headers=op
        )
        assert overdue.status_code == 201
        assert overdue.json()["created"] == 1
        assert overdue.json()["items"][0]["type"] == "other"
        assert (await client.post("/api/v1/discoveries/no_such_rule/needs", headers=op)).status_code == 404
        assert (await client.post(url, json={"region_code": "330503"}, headers=op)).status_code == 403
        assert (await client.post(url, headers=auth("viewer", region="330502"))).status_code == 403
        assert (
            await client.get("/api/v1/recipients/discoveries", params={"rule": "nope"}, headers=op)
        ).status_code == 422
    with clock.frozen(noon(date(2027, 4, 2))):
        r = await client.post(url, json={"region_code": town, "urgency": "urgent"}, headers=op)
        assert r.status_code == 201
        assert r.json()["items"][0]["urgency"] == "urgent"
    listed = (
        await client.get(
            NEEDS, params={"id_number": disabled["id_number"], "source": "discovery"}, headers=op
        )
    ).json()
    assert len(listed["items"]) == 3


async def test_member_flags_and_support_mode_round_trip(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    alone = member(born=date(1941, 1, 1), name="往返独居", living_alone=True)
    child = member(born=date(2016, 2, 2), name="往返儿童", relation="child", parents_absent=True)
    made = await household(client, op, TOWN, [alone, child], category="tekun", support_mode="home")
    assert made["support_mode"] == "home"
    flags = {m["name"]: (m["living_alone"], m["parents_absent"]) for m in made["members"]}
    assert flags == {"往返独居": (True, False), "往返儿童": (False, True)}
    url = f"/api/v1/recipients/{made['id']}"
    r = await client.patch(
        url,
        json={"support_mode": "institution", "members": [{**alone, "living_alone": False}, child]},
        headers={**op, "If-Match": f'"{made["version"]}"'},
    )
    assert r.status_code == 200, r.text
    got = (await client.get(url, headers=op)).json()
    assert got["support_mode"] == "institution"
    assert {m["name"]: m["living_alone"] for m in got["members"]}["往返独居"] is False
    r = await client.post(
        "/api/v1/recipients",
        json={
            "region_code": TOWN,
            "category": "tekun",
            "monthly_income": "0.00",
            "support_mode": "somewhere",
            "members": [member()],
        },
        headers=op,
    )
    assert r.status_code == 422


async def test_a_visit_before_registration_counts(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    """Registered today, last visited ten days ago: the weekly visit is three days overdue."""
    op = auth("operator", region="330502")
    town = "330502100000"  # 织里镇
    day = date(2027, 5, 10)
    elder = member(born=date(1939, 9, 9), name="先访后登", living_alone=True)
    with clock.frozen(noon(day)):
        await household(client, op, town, [elder])
        await visit(client, op, town, elder["id_number"], date(2027, 4, 30))
        r = await client.get(f"{VISITS}/due", params={"region_code": town, "limit": 500}, headers=op)
        item = next(i for i in r.json()["items"] if i["person"]["id_number"] == _masked(elder["id_number"]))
        assert (item["due_on"], item["overdue"], item["days_overdue"]) == ("2027-05-07", True, 3)
        quality = (
            await client.get(
                "/api/v1/quality/visit_overdue",
                params={"region_code": town, "as_of": day.isoformat(), "limit": 500},
                headers=op,
            )
        ).json()["items"]
        assert item["member_id"] in {f["key"] for f in quality}
        found = (
            await client.get(
                "/api/v1/recipients/discoveries",
                params={"rule": "visit_overdue", "region_code": town, "limit": 500},
                headers=op,
            )
        ).json()["items"]
        assert item["member_id"] in {d["member_id"] for d in found}


async def test_only_the_latest_assessment_puts_a_person_under_the_level_rule(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """The roster takes the severely assessed from the database: a person whose latest
    assessment is severe is due, one assessed severe and later found mild is not."""
    op = auth("operator", region="330502")
    viewer = auth("viewer", region=TOWN)
    recovered = member(born=date(1945, 4, 4), name="好转")
    worsened = member(born=date(1946, 5, 5), name="加重")
    with clock.frozen(noon(DAY)):
        await household(client, op, TOWN, [recovered])
        await household(client, op, TOWN, [worsened])
    for person, totals in ((recovered, (20, 90)), (worsened, (90, 20))):
        for day, total in zip((date(2026, 5, 1), date(2026, 9, 1)), totals, strict=True):
            data = assessment_body(region=TOWN, person=person["id_number"], total=total, assessed_on=day)
            await record_assessment(client, op, data)
    with clock.frozen(noon(DAY)):
        due = await _due(client, viewer)
        assert _masked(worsened["id_number"]) in due
        assert due[_masked(worsened["id_number"])]["rule"] == "severe_disability_assessed"
        assert _masked(recovered["id_number"]) not in due
