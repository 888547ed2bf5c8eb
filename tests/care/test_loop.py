"""The 服务找人 loop as a township social worker runs it, end to end over HTTP (SQLite and
PostgreSQL): a need found on a visit, the resources that fit, a referral served and closed —
each step in the worker's scope, audited, and in the change feed the city pulls."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx

from app.core.clock import clock
from tests.care.helpers import NEEDS, REFERRALS, VISITS, household, member, move, noon, refer, resource, visit
from tests.conftest import TokenFactory

TOWN = "330502013000"  # 湖东街道
OTHER_COUNTY = "330503"
DAY = date(2027, 4, 6)


async def test_a_need_found_on_a_visit_is_matched_referred_served_and_closed(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    station = auth("operator", region=TOWN, sub="station-worker")  # a social-work-station account
    elder = member(born=date(1941, 5, 2), name="独居老人", living_alone=True)
    with clock.frozen(noon(DAY)):
        await household(client, station, TOWN, [elder])
        due = (
            await client.get(f"{VISITS}/due", params={"region_code": TOWN, "limit": 500}, headers=station)
        ).json()
        masked = elder["id_number"][:6] + "********" + elder["id_number"][-4:]
        assert any(i["person"]["id_number"] == masked for i in due["items"])

        found = await visit(
            client,
            station,
            TOWN,
            elder["id_number"],
            DAY,
            needs=[{"type": "meals", "description": "做饭困难"}],
        )
        (need_id,) = found["need_ids"]
        need = (await client.get(f"{NEEDS}/{need_id}", headers=station)).json()
        assert (need["source"], need["status"], need["type"]) == ("visit", "open", "meals")
        assert need["person"]["id_number"] == masked  # masked like everywhere else
        due = (
            await client.get(f"{VISITS}/due", params={"region_code": TOWN, "limit": 500}, headers=station)
        ).json()
        assert all(i["person"]["id_number"] != masked for i in due["items"])  # the visit reset the due date

        kitchen = await resource(client, station, TOWN, ["meals"], name="社区老年食堂", capacity=20)
        await resource(client, station, TOWN, ["legal"], name="法律援助")
        matches = (await client.get(f"{NEEDS}/{need_id}/matches", headers=station)).json()["items"]
        assert [m["resource_id"] for m in matches if m["resource_id"] == kitchen["id"]] == [kitchen["id"]]
        assert all(m["why"] for m in matches)

        # Another county's operator sees none of it.
        stranger = auth("operator", region=OTHER_COUNTY)
        assert (await client.get(f"{NEEDS}/{need_id}", headers=stranger)).status_code == 404
        assert (await refer(client, stranger, need_id, kitchen["id"])).status_code in (403, 404)

        r = await refer(client, station, need_id, kitchen["id"])
        assert r.status_code == 201, r.text
        referral_id = r.json()["id"]
        assert (await client.get(f"{NEEDS}/{need_id}", headers=station)).json()["status"] == "referred"
        for action, extra in (("accept", {}), ("serve", {"outcome": "每日送餐上门"}), ("close", {})):
            r = await move(client, station, referral_id, action, **extra)
            assert r.status_code == 200, (action, r.text)
        closed = (await client.get(f"{NEEDS}/{need_id}", headers=station)).json()
        assert closed["status"] == "closed"
        history = (await client.get(f"{REFERRALS}/{referral_id}/history", headers=station)).json()
        assert [h["action"] for h in history] == ["dispatch", "accept", "serve", "close"]
        assert {h["actor_sub"] for h in history} == {"station-worker"}

    auditor = auth("auditor", region=TOWN)
    events = (
        await client.get(
            "/api/v1/audit/events", params={"resource_id": need_id, "limit": 100}, headers=auditor
        )
    ).json()["items"]
    assert len(events) >= 3  # created on the visit, referred, closed by the referral
    assert {e["actor_sub"] for e in events} == {"station-worker"}
    assert all(e["region_code"].startswith(TOWN[:9]) for e in events)

    # In the change feed the city pulls (paged from the start of the county's log). On
    # PostgreSQL the feed serves a change once every older transaction on the server has ended
    # (its horizon), so other work on the server may hold the newest ones back for a while.
    wanted = {("care_need", need_id), ("care_referral", referral_id)}
    for _ in range(120):
        if wanted <= await _in_feed(client, auth("sync", region="330502")):
            break
        await asyncio.sleep(0.5)
    assert wanted <= await _in_feed(client, auth("sync", region="330502"))


async def _in_feed(client: httpx.AsyncClient, headers: dict[str, str]) -> set[tuple[str, str]]:
    entities: set[tuple[str, str]] = set()
    params: dict[str, str | int] = {"limit": 1000}
    while True:
        feed = await client.get("/api/v1/sync/changes", params=params, headers=headers)
        assert feed.status_code == 200, feed.text
        page = feed.json()
        entities |= {(c["entity"], c["id"]) for c in page["changes"]}
        if not page["has_more"]:
            return entities
        params = {"limit": 1000, "cursor": page["next_cursor"]}
