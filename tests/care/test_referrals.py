"""Matching and referrals over HTTP (runs on SQLite and on PostgreSQL): who fits and why, the
referral loop, capacity, overdue referrals, history."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from app.core.clock import clock
from tests.assessment.helpers import body as assessment_body
from tests.assessment.helpers import record as record_assessment
from tests.care.helpers import (
    NEEDS,
    REFERRALS,
    RESOURCES,
    household,
    member,
    move,
    need,
    noon,
    refer,
    resource,
)
from tests.conftest import TokenFactory
from tests.factories import id_number

TOWN = "330502010000"  # 龙溪街道
NEIGHBOUR = "330502011000"  # 杨家埠街道


async def _elder(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    """A person of 82 with a grade 2 disability in a dibao household, assessed level 3."""
    op = auth("operator", region="330502")
    elder = member(born=date(1944, 5, 20), name="孙大爷", disability_grade=2)
    await household(client, op, TOWN, [elder])
    assessed = await record_assessment(
        client,
        op,
        assessment_body(region=TOWN, person=elder["id_number"], total=40, assessed_on=date(2026, 6, 1)),
    )
    assert assessed["level"] == 3
    return elder


async def test_matches_are_eligible_free_nearest_first_and_say_why(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    city_op = auth("operator", region="330500")
    elder = await _elder(client, auth)
    wanted = await need(client, op, TOWN, person=elder["id_number"], type="care")

    town_roomy = await resource(client, op, TOWN, ["care"], name="镇照护大", capacity=10)
    town_small = await resource(
        client, op, TOWN, ["care"], name="镇照护小", capacity=2, eligibility={"categories": ["dibao"]}
    )
    county = await resource(
        client, op, "330502000000", ["care", "meals"], name="区照护", eligibility={"min_age": 60}
    )
    city = await resource(
        client,
        city_op,
        "330500000000",
        ["care"],
        name="市重度失能照护",
        capacity=5,
        eligibility={"assessment_levels": [3, 4], "disability": True},
    )
    excluded = [
        await resource(client, op, TOWN, ["care"], name="特困专项", eligibility={"categories": ["tekun"]}),
        await resource(client, op, TOWN, ["care"], name="青年专项", eligibility={"max_age": 70}),
        await resource(
            client, op, TOWN, ["care"], name="完全失能", eligibility={"assessment_levels": ["total"]}
        ),
        await resource(client, op, TOWN, ["meals"], name="只助餐"),
        await resource(client, op, NEIGHBOUR, ["care"], name="邻镇照护"),
    ]
    full = await resource(client, op, TOWN, ["care"], name="满员", capacity=1)
    other = await need(client, op, TOWN, type="care")
    assert (await refer(client, op, other["id"], full["id"])).status_code == 201
    paused = await resource(client, op, TOWN, ["care"], name="暂停")
    r = await client.patch(
        f"{RESOURCES}/{paused['id']}", json={"active": False}, headers={**op, "If-Match": '"1"'}
    )
    assert r.status_code == 200
    excluded += [full, paused]

    r = await client.get(
        f"{NEEDS}/{wanted['id']}/matches", params={"limit": 500}, headers=auth("viewer", region=TOWN)
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    ids = [i["resource_id"] for i in items]
    ours = [i for i in ids if i in {town_roomy["id"], town_small["id"], county["id"], city["id"]}]
    assert ours == [town_roomy["id"], town_small["id"], county["id"], city["id"]]
    assert not {x["id"] for x in excluded} & set(ids)
    levels = [i["distance"] for i in items]
    assert levels == sorted(levels)

    by_id = {i["resource_id"]: i for i in items}
    small = by_id[town_small["id"]]
    assert (small["level"], small["distance"], small["free_capacity"]) == ("township", 0, 2)
    assert "household category dibao is among dibao" in small["why"]
    assert any("provides care" in w for w in small["why"])
    assert "2 of 2 places free" in small["why"]
    top = by_id[city["id"]]
    assert top["level"] == "city"
    assert top["distance"] == 2
    assert any(w == "latest assessment level 3 (severe) is among 3, 4" for w in top["why"])
    assert "has a disability (grade 2)" in top["why"]
    assert any("contains the person's region" in w for w in top["why"])
    assert by_id[county["id"]]["free_capacity"] is None
    assert "age 82 is within 60–any" in by_id[county["id"]]["why"]
    assert by_id[town_roomy["id"]]["why"][-1] == "open to everyone (no eligibility conditions)"

    # Paging walks the same ranking.
    first = (await client.get(f"{NEEDS}/{wanted['id']}/matches", params={"limit": 1}, headers=op)).json()
    assert first["items"][0]["resource_id"] == ids[0]
    assert first["next_cursor"]
    second = (
        await client.get(
            f"{NEEDS}/{wanted['id']}/matches", params={"limit": 1, "cursor": first["next_cursor"]}, headers=op
        )
    ).json()
    assert second["items"][0]["resource_id"] == ids[1]
    assert (
        await client.get(f"{NEEDS}/{wanted['id']}/matches", headers=auth("viewer", region="330503"))
    ).status_code == 404

    # A referral that does not fit is refused with the reason.
    for bad in excluded[:5]:
        r = await refer(client, op, wanted["id"], bad["id"])
        assert r.status_code == 422, (bad["name"], r.text)
    r = await refer(client, op, wanted["id"], full["id"])
    assert r.status_code == 409
    assert r.json()["capacity"] == 1


async def test_the_referral_loop_moves_the_need_and_holds_capacity(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502", sub="referral-loop")
    first = await need(client, op, TOWN, type="legal")
    second = await need(client, op, TOWN, type="legal")
    one_place = await resource(client, op, TOWN, ["legal"], name="法援一席", capacity=1)

    r = await refer(client, op, first["id"], one_place["id"], note="请尽快联系")
    assert r.status_code == 201, r.text
    referral = r.json()
    assert r.headers["location"] == f"{REFERRALS}/{referral['id']}"
    assert (referral["status"], referral["status_label"], referral["resource_name"]) == (
        "dispatched",
        "已派单",
        "法援一席",
    )
    got = (await client.get(f"{NEEDS}/{first['id']}", headers=op)).json()
    assert (got["status"], got["referral_id"]) == ("referred", referral["id"])
    held = (await client.get(f"{RESOURCES}/{one_place['id']}", headers=op)).json()
    assert (held["in_use"], held["free_capacity"]) == (1, 0)
    matches = (await client.get(f"{NEEDS}/{second['id']}/matches", params={"limit": 500}, headers=op)).json()
    assert one_place["id"] not in {m["resource_id"] for m in matches["items"]}
    assert (await refer(client, op, second["id"], one_place["id"])).status_code == 409
    assert (await refer(client, op, first["id"], one_place["id"])).status_code == 409  # already referred

    rid = referral["id"]
    assert (await move(client, auth("viewer", region="330502"), rid, "accept")).status_code == 403
    assert (await move(client, auth("operator", region="330503"), rid, "accept")).status_code == 404
    r = await move(client, op, rid, "accept")
    assert r.status_code == 200
    assert r.json()["accepted_on"] is not None
    assert (await move(client, op, rid, "serve")).status_code == 422
    r = await move(client, op, rid, "serve", served_on="2999-01-01", outcome="x")
    assert r.status_code == 422
    r = await move(client, op, rid, "serve", outcome="已提供法律咨询并代写申请", note="上门")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["outcome"]) == ("served", "已提供法律咨询并代写申请")
    assert (await client.get(f"{NEEDS}/{first['id']}", headers=op)).json()["status"] == "served"
    # Served: the place is free again.
    assert (await client.get(f"{RESOURCES}/{one_place['id']}", headers=op)).json()["free_capacity"] == 1
    r = await move(client, op, rid, "close", note="回访满意")
    assert r.status_code == 200
    assert r.json()["closed_on"] is not None
    closed = (await client.get(f"{NEEDS}/{first['id']}", headers=op)).json()
    assert (closed["status"], closed["status_label"], closed["referral_id"]) == ("closed", "已办结", None)
    r = await move(client, op, rid, "accept")
    assert r.status_code == 409
    assert r.json()["referral_status"] == "closed"
    assert r.json()["status"] == 409

    history = (await client.get(f"{REFERRALS}/{rid}/history", headers=auth("viewer", region="330502"))).json()
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [
        ("dispatch", "", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("serve", "accepted", "served"),
        ("close", "served", "closed"),
    ]
    assert history[0]["note"] == "请尽快联系"
    assert history[0]["actor_sub"] == "referral-loop"
    assert (
        await client.get(f"{REFERRALS}/{rid}/history", headers=auth("viewer", region="330503"))
    ).status_code == 404

    # Declined: the need is open again and the place is free; withdrawing ends a live referral.
    r = await refer(client, op, second["id"], one_place["id"])
    assert r.status_code == 201
    declined = await move(client, op, r.json()["id"], "decline", note="人手不足")
    assert declined.json()["status"] == "declined"
    assert (await client.get(f"{NEEDS}/{second['id']}", headers=op)).json()["status"] == "open"
    again = await refer(client, op, second["id"], one_place["id"])
    assert again.status_code == 201
    r = await client.post(f"{NEEDS}/{second['id']}/transitions", json={"action": "withdraw"}, headers=op)
    assert r.json()["status"] == "withdrawn"
    ended = (await client.get(f"{REFERRALS}/{again.json()['id']}", headers=op)).json()
    assert ended["status"] == "closed"
    assert (await client.get(f"{RESOURCES}/{one_place['id']}", headers=op)).json()["free_capacity"] == 1

    listed = (await client.get(REFERRALS, params={"need_id": second["id"]}, headers=op)).json()["items"]
    assert {x["status"] for x in listed} == {"declined", "closed"}


async def test_a_referral_not_accepted_in_three_working_days_is_overdue(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    late_need = await need(client, op, TOWN, type="employment", person=id_number("330502"))
    due_need = await need(client, op, TOWN, type="employment")
    place = await resource(client, op, TOWN, ["employment"], name="就业指导")
    with clock.frozen(noon(date(2027, 1, 8))):  # a Friday
        r = await refer(client, op, late_need["id"], place["id"])
        late = r.json()
        assert (late["dispatched_on"], late["accept_by"]) == ("2027-01-08", "2027-01-13")
        r = await refer(client, op, due_need["id"], place["id"], due_on="2027-01-20")
        due = r.json()
        fresh = await need(client, op, TOWN, type="employment")
        r = await refer(client, op, fresh["id"], place["id"], due_on="2027-01-07")
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["body", "due_on"]
    with clock.frozen(noon(date(2027, 1, 13))):
        assert (await client.get(f"{REFERRALS}/{late['id']}", headers=op)).json()["overdue"] is False
        assert (await move(client, op, due["id"], "accept")).status_code == 200
    with clock.frozen(noon(date(2027, 1, 14))):
        got = (await client.get(f"{REFERRALS}/{late['id']}", headers=op)).json()
        assert got["overdue"] is True
        assert got["overdue_reason"] == "not accepted within 3 working days (by 2027-01-13)"
        overdue = (
            await client.get(NEEDS, params={"overdue": "true", "region_code": TOWN, "limit": 500}, headers=op)
        ).json()
        assert late_need["id"] in {n["id"] for n in overdue["items"]}
        assert due_need["id"] not in {n["id"] for n in overdue["items"]}
        flagged = (await client.get(f"{NEEDS}/{late_need['id']}", headers=op)).json()
        assert flagged["overdue"] is True
        later = (await client.get(REFERRALS, params={"overdue": "true", "limit": 500}, headers=op)).json()
        assert late["id"] in {x["id"] for x in later["items"]}
        findings = (
            await client.get(
                "/api/v1/quality/referral_overdue", params={"as_of": "2027-01-14", "limit": 500}, headers=op
            )
        ).json()["items"]
        assert {f["key"]: f["detail"] for f in findings}[late["id"]] == "not accepted within 3 working days"
        assert due["id"] not in {f["key"] for f in findings}
    with clock.frozen(noon(date(2027, 1, 21))):
        got = (await client.get(f"{REFERRALS}/{due['id']}", headers=op)).json()
        assert (got["overdue"], got["overdue_reason"]) == (True, "not served by 2027-01-20")
        r = await move(client, op, due["id"], "serve", outcome="已推荐岗位")
        assert r.json()["overdue"] is False


async def test_refer_serve_and_close_without_a_separate_acceptance(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region=TOWN)
    found = await need(client, op, TOWN, type="psychological")
    place = await resource(client, op, TOWN, ["psychological"], name="心理疏导室", capacity=3)
    referral = (await refer(client, op, found["id"], place["id"])).json()
    served = await move(
        client, op, referral["id"], "serve", outcome="完成三次疏导", served_on=referral["dispatched_on"]
    )
    assert served.status_code == 200, served.text
    assert (served.json()["status"], served.json()["accepted_on"]) == ("served", referral["dispatched_on"])
    assert (await client.get(f"{NEEDS}/{found['id']}", headers=op)).json()["status"] == "served"
    assert (await move(client, op, referral["id"], "close")).status_code == 200
    assert (await client.get(f"{NEEDS}/{found['id']}", headers=op)).json()["status"] == "closed"
    history = (await client.get(f"{REFERRALS}/{referral['id']}/history", headers=op)).json()
    assert [h["action"] for h in history] == ["dispatch", "serve", "close"]
