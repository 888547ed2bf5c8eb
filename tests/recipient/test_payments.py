"""Payment runs for every category, and temporary-assistance grants, over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx

from app.core.clock import clock
from tests.assessment.helpers import body as assessment
from tests.assessment.helpers import record
from tests.conftest import TokenFactory
from tests.recipient.helpers import create, household, move
from tests.recipient.paying import approved, payments, people, ran, run, skips, standard


async def test_tekun_members_get_the_basic_standard_and_the_care_allowance_of_their_tier(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    region = "330521005000"
    h = auth("operator", region="330521")
    admin = auth("admin")
    for kind, value in (
        ("dibao_annual", "12000.00"),  # pinned: another test raises the county's standard
        ("tekun_care_able_monthly", "300.00"),
        ("tekun_care_partial_monthly", "800.00"),
        ("tekun_care_full_monthly", "1500.00"),
    ):
        await standard(client, admin, kind, region, value)
    members = people(region, 3, born=date(1950, 5, 1))
    able, severe, unassessed = (m["id_number"] for m in members)
    await record(client, h, assessment(region=region, person=able, total=90, assessed_on=date(2026, 1, 15)))
    await record(client, h, assessment(region=region, person=severe, total=35, assessed_on=date(2026, 1, 15)))
    house = await approved(client, h, region, on=date(2026, 2, 2), category="tekun", members=members)
    ids = {m["id_number"][-4:]: m["id"] for m in house["members"]}

    result = await ran(client, h, region, "2026-02")
    paid = {(p["member_id"], p["kind"]): p["amount"] for p in await payments(client, h, house["id"])}
    assert (
        paid
        == {
            (ids[able[-4:]], "tekun_basic"): "1300.00",  # 1.3 × 12000.00 / 12
            (ids[severe[-4:]], "tekun_basic"): "1300.00",
            (ids[unassessed[-4:]], "tekun_basic"): "1300.00",
            (ids[able[-4:]], "tekun_care"): "300.00",  # 能力完好 → 全自理
            (ids[severe[-4:]], "tekun_care"): "1500.00",  # 重度失能 → 全失能
        }
    )
    assert result["totals_by_kind"] == {"tekun_basic": "3900.00", "tekun_care": "1800.00"}
    missing = [s for s in await skips(client, h, result["id"]) if s["household_id"] == house["id"]]
    assert [(s["member_id"], s["kind"], s["reason_code"]) for s in missing] == [
        (ids[unassessed[-4:]], "tekun_care", "no_current_assessment")
    ]
    assert "never assessed" in missing[0]["reason"]

    # The unassessed member is a discovery and a quality finding.
    found = await client.get(
        "/api/v1/recipients/discoveries",
        params={"rule": "tekun_assessment_missing", "region_code": region},
        headers=h,
    )
    assert [d["member_id"] for d in found.json()["items"]] == [ids[unassessed[-4:]]]
    quality = await client.get(
        "/api/v1/quality/tekun_assessment_missing", params={"region_code": region}, headers=auth("admin")
    )
    assert [f["key"] for f in quality.json()["items"]] == [ids[unassessed[-4:]]]


async def test_a_county_tekun_standard_replaces_the_default(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    region = "330521101000"
    h = auth("operator", region="330521")
    await standard(client, auth("admin"), "tekun_basic_annual", region, "18000.00")
    house = await approved(client, h, region, on=date(2026, 3, 1), category="tekun", n=1)
    await ran(client, h, region, "2026-03")
    assert [(p["kind"], p["amount"]) for p in await payments(client, h, house["id"])] == [
        ("tekun_basic", "1500.00")
    ]


async def test_a_household_is_paid_from_the_month_of_its_approval(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    region = "330521102000"
    h = auth("operator", region="330521")
    await standard(client, auth("admin"), "dibao_annual", region, "12000.00")
    house = await approved(client, h, region, on=date(2026, 4, 30), income="500.00", n=1)
    march = await ran(client, h, region, "2026-03")
    assert march["payment_count"] == 0
    assert march["skipped_by_reason"] == {"approved_later": 1}
    april = await ran(client, h, region, "2026-04")
    assert april["payment_count"] == 1
    assert [(p["month"], p["amount"]) for p in await payments(client, h, house["id"])] == [
        ("2026-04", "500.00")
    ]


async def test_a_run_for_a_month_after_the_local_month_is_422(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330521")
    # 16:30 UTC on 31 May is 00:30 on 1 June in Huzhou: June is the current month, July is not.
    with clock.frozen(datetime(2026, 5, 31, 16, 30, tzinfo=UTC)):
        july = await run(client, h, "330521103000", "2026-07")
        june = await run(client, h, "330521103000", "2026-06")
    assert july.status_code == 422, july.text
    assert july.json()["errors"][0]["loc"] == ["body", "month"]
    assert "2026-06" in july.json()["detail"]
    assert june.status_code == 201, june.text
    far = await run(client, h, "330521103000", "2099-01")
    assert far.status_code == 422
    assert (await run(client, h, "330521103000", "0000-01")).status_code == 422


async def test_one_run_per_region_and_month(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330521")
    first = await ran(client, h, "330521104000", "2026-05")
    second = await run(client, h, "330521104000", "2026-05")
    assert second.status_code == 409, second.text
    problem = second.json()
    assert (problem["status"], problem["run_id"], problem["run"]) == (
        409,
        first["id"],
        f"/api/v1/payment-runs/{first['id']}",
    )
    assert first["id"] in problem["detail"]
    # Another month, or another region, is another run.
    assert (await run(client, h, "330521104000", "2026-04")).status_code == 201
    assert (await run(client, h, "330521110000", "2026-05")).status_code == 201


async def test_overlapping_regions_never_pay_twice(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330523")
    house = await approved(client, h, "330523002000", on=date(2026, 5, 5), income="100.00", n=1)
    township = await ran(client, h, "330523002000", "2026-05")
    county = await ran(client, h, "330523", "2026-05")
    assert township["payment_count"] >= 1
    assert [p["amount"] for p in await payments(client, h, house["id"])] == ["900.00"]
    county_skips = [s for s in await skips(client, h, county["id"]) if s["household_id"] == house["id"]]
    assert [s["reason_code"] for s in county_skips] == ["already_paid"]


async def _grant(client: httpx.AsyncClient, h: dict[str, str], hid: str, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/recipients/{hid}/grants", json=body, headers=h)


async def test_grants_are_payments_of_their_kind_capped_per_grant(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    region = "330522101000"
    h = auth("operator", region="330522")
    admin = auth("admin", region="330522")
    created = await create(client, h, household(region=region, category="temporary"))
    hid = created["id"]
    emergency = await _grant(client, h, hid, amount="1500.00", kind="emergency", reason="火灾")
    assert emergency.status_code == 201, emergency.text
    grant = emergency.json()
    assert (grant["kind"], grant["amount"], grant["run_id"], grant["category"], grant["reason"]) == (
        "emergency",
        "1500.00",
        None,
        "temporary",
        "火灾",
    )
    assert grant["month"] == clock.this_month()
    # The cap is 6 × the monthly dibao standard: 6000.00 — equal is within it.
    at_cap = await _grant(client, h, hid, amount="6000.00", kind="expenditure")
    assert at_cap.status_code == 201, at_cap.text
    over = await _grant(client, h, hid, amount="6000.01", kind="expenditure", reason="重病")
    assert over.status_code == 403, over.text
    assert "6000.00" in over.json()["detail"]
    assert "admin" in over.json()["detail"]
    no_reason = await _grant(client, admin, hid, amount="6000.01", kind="expenditure")
    assert no_reason.status_code == 422, no_reason.text
    assert no_reason.json()["errors"][0]["loc"] == ["body", "reason"]
    allowed = await _grant(
        client, admin, hid, amount="8000.00", kind="expenditure", reason="重病住院，县级审批"
    )
    assert allowed.status_code == 201, allowed.text

    listed = await payments(client, h, hid)
    assert sorted((p["kind"], p["amount"]) for p in listed) == [
        ("emergency", "1500.00"),
        ("expenditure", "6000.00"),
        ("expenditure", "8000.00"),
    ]
    stats = await client.get(
        "/api/v1/payments/stats",
        params={"region_code": region, "month_from": clock.this_month(), "month_to": clock.this_month()},
        headers=h,
    )
    assert stats.status_code == 200, stats.text
    by_kind = {(i["kind"], i["category"]): (i["payments"], i["amount"]) for i in stats.json()["items"]}
    assert by_kind == {
        ("emergency", "temporary"): (1, "1500.00"),
        ("expenditure", "temporary"): (2, "14000.00"),
    }
    assert stats.json()["amount"] == "15500.00"

    # Bad grants: nothing to give, an unknown kind, a closed household.
    assert (await _grant(client, h, hid, amount="0.00", kind="emergency")).status_code == 422
    assert (await _grant(client, h, hid, amount="10.00", kind="gift")).status_code == 422
    await move(client, h, hid, "reject")
    closed = await _grant(client, h, hid, amount="10.00", kind="emergency")
    assert closed.status_code == 409
    assert (closed.json()["status"], closed.json()["household_status"]) == (409, "rejected")


async def test_a_county_cap_replaces_the_default(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330522")
    await standard(client, auth("admin"), "temporary_grant_cap", "330522102000", "3000.00")
    created = await create(client, h, household(region="330522102000", category="temporary"))
    assert (await _grant(client, h, created["id"], amount="3000.00", kind="emergency")).status_code == 201
    over = await _grant(client, h, created["id"], amount="3000.01", kind="emergency", reason="x")
    assert over.status_code == 403
    assert "3000.00" in over.json()["detail"]
