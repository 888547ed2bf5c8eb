"""The two disability subsidies per member: apply → verify → approve → monthly payment → exit."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from app.core.clock import clock
from tests.conftest import TokenFactory
from tests.recipient.paying import approved, noon, payments, people, ran, skips, standard

BASE = "/api/v1/recipients"


async def _apply(
    client: httpx.AsyncClient, h: dict[str, str], hid: str, mid: str, kind: str
) -> httpx.Response:
    return await client.post(f"{BASE}/{hid}/members/{mid}/subsidies", json={"kind": kind}, headers=h)


async def _move(
    client: httpx.AsyncClient, h: dict[str, str], hid: str, sid: str, *actions: str
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for action in actions:
        r = await client.post(
            f"{BASE}/{hid}/subsidies/{sid}/transitions", json={"action": action, "reason": "核实"}, headers=h
        )
        assert r.status_code == 200, r.text
        body = r.json()
    return body


async def test_subsidies_through_their_loop(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    region = "330522103000"
    h = auth("operator", region="330522")
    admin = auth("admin")
    await standard(client, admin, "disability_living_monthly", region, "150.00")
    await standard(client, admin, "disability_nursing_monthly", region, "200.00")
    members = people(region, 3)
    members[0]["disability_grade"] = 2
    members[1]["disability_grade"] = 3
    edge = await approved(
        client, h, region, on=date(2026, 3, 2), category="dibao_edge", income="2000.00", members=members
    )
    hid = edge["id"]
    grade2, grade3, none = (m["id"] for m in edge["members"])

    # Who may apply for what.
    refused = await _apply(client, h, hid, none, "disability_living")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "kind"]
    assert "no recorded disability grade" in refused.json()["detail"]
    assert (await _apply(client, h, hid, grade3, "disability_nursing")).status_code == 422
    unknown = await _apply(client, h, hid, "00000000-0000-0000-0000-000000000000", "disability_living")
    assert unknown.status_code == 404

    with clock.frozen(noon(date(2026, 3, 10))):
        living = (await _apply(client, h, hid, grade2, "disability_living")).json()
        nursing = (await _apply(client, h, hid, grade2, "disability_nursing")).json()
        other = (await _apply(client, h, hid, grade3, "disability_living")).json()
        assert (living["status"], living["kind"], living["member_id"]) == (
            "applied",
            "disability_living",
            grade2,
        )
        again = await _apply(client, h, hid, grade2, "disability_living")
        assert again.status_code == 409
        assert (again.json()["subsidy_id"], again.json()["subsidy_status"]) == (living["id"], "applied")
        wrong = await client.post(
            f"{BASE}/{hid}/subsidies/{living['id']}/transitions", json={"action": "approve"}, headers=h
        )
        assert wrong.status_code == 409
        assert (wrong.json()["status"], wrong.json()["subsidy_status"]) == (409, "applied")
        approved_living = await _move(client, h, hid, living["id"], "verify", "approve")
        await _move(client, h, hid, nursing["id"], "verify", "approve")
    assert approved_living["approved_on"] == "2026-03-10"
    with clock.frozen(noon(date(2026, 4, 2))):
        # The same moves, addressed under the member.
        for action in ("verify", "approve"):
            moved = await client.post(
                f"{BASE}/{hid}/members/{grade3}/subsidies/{other['id']}/transitions",
                json={"action": action},
                headers=h,
            )
            assert moved.status_code == 200, moved.text
    elsewhere = await client.get(f"{BASE}/{hid}/members/{grade2}/subsidies/{other['id']}", headers=h)
    assert elsewhere.status_code == 404
    assert (
        len(
            (
                await client.get(f"{BASE}/{hid}/members/{grade3}/subsidies/{other['id']}/history", headers=h)
            ).json()
        )
        == 3
    )

    member = next(
        m for m in (await client.get(f"{BASE}/{hid}", headers=h)).json()["members"] if m["id"] == grade2
    )
    assert member["subsidies"] == ["disability_living", "disability_nursing"]
    history = (await client.get(f"{BASE}/{hid}/subsidies/{living['id']}/history", headers=h)).json()
    assert [(t["action"], t["from_status"], t["to_status"]) for t in history] == [
        ("apply", "", "applied"),
        ("verify", "applied", "verified"),
        ("approve", "verified", "approved"),
    ]
    listed = (await client.get(f"{BASE}/{hid}/members/{grade2}/subsidies", headers=h)).json()
    assert sorted(s["kind"] for s in listed) == ["disability_living", "disability_nursing"]
    assert len((await client.get(f"{BASE}/{hid}/subsidies", headers=h)).json()) == 3

    march = await ran(client, h, region, "2026-03")
    paid = [(p["member_id"], p["kind"], p["amount"]) for p in await payments(client, h, hid)]
    assert sorted(paid) == sorted(
        [(grade2, "disability_living", "150.00"), (grade2, "disability_nursing", "200.00")]
    )
    reasons = {(s["member_id"], s["kind"]): s["reason_code"] for s in await skips(client, h, march["id"])}
    assert reasons[(grade3, "disability_living")] == "approved_later"  # approved in April
    assert reasons[(None, "dibao_edge")] == "no_cash_benefit"

    april = await ran(client, h, region, "2026-04")
    assert april["totals_by_kind"] == {"disability_living": "300.00", "disability_nursing": "200.00"}

    await _move(client, h, hid, nursing["id"], "exit")
    member = next(
        m for m in (await client.get(f"{BASE}/{hid}", headers=h)).json()["members"] if m["id"] == grade2
    )
    assert member["subsidies"] == ["disability_living"]
    may = await ran(client, h, region, "2026-05")
    assert may["totals_by_kind"] == {"disability_living": "300.00"}


async def test_living_subsidy_is_for_dibao_and_dibao_edge_households(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330522")
    members = people("330522104000", 1)
    members[0]["disability_grade"] = 1
    tekun = await approved(client, h, "330522104000", on=date(2026, 3, 2), category="tekun", members=members)
    mid = tekun["members"][0]["id"]
    living = await _apply(client, h, tekun["id"], mid, "disability_living")
    assert living.status_code == 422
    assert "dibao" in living.json()["detail"]
    nursing = await _apply(client, h, tekun["id"], mid, "disability_nursing")
    assert nursing.status_code == 201, nursing.text
