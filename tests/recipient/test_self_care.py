"""The self-care assessment of tekun members under 60 (《特困人员认定办法》 民发〔2021〕43号 art. 12):
recorded on the member over HTTP, the care-allowance tier a payment run pays, and the
discovery and quality rule ``tekun_assessment_missing`` for members of every age."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from app.core.clock import clock
from app.recipient import discovery, tekun
from tests.assessment.helpers import body as assessment
from tests.assessment.helpers import record
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household
from tests.recipient.paying import approved, noon, payments, ran, skips, standard

RULE = "tekun_assessment_missing"


def test_the_tier_follows_the_count_of_items_not_done() -> None:
    # Art. 12: all six done → able; 3 or fewer not done (含3项) → partial; 4 or more → full.
    items = tekun.SELF_CARE_ITEMS
    assert [tekun.tier_of_self_care(items[:n]) for n in range(7)] == [
        "able",
        "partial",
        "partial",
        "partial",
        "full",
        "full",
        "full",
    ]
    assert tekun.parse_unable("bathing,eating") == ["eating", "bathing"]
    assert tekun.parse_unable("") == []


def test_a_self_care_record_is_current_for_12_months() -> None:
    assert not tekun.self_care_current(None, date(2026, 2, 1))
    assert tekun.self_care_current(date(2025, 2, 2), date(2026, 2, 1))
    assert not tekun.self_care_current(date(2025, 2, 1), date(2026, 2, 1))
    assert tekun.self_care_current(date(2026, 3, 1), date(2026, 2, 1))  # made later in a past month's run


def _facts(born: date, **extra: Any) -> discovery.MemberFacts:
    values: dict[str, Any] = {"latest_level_code": None, "latest_assessed_on": None, **extra}
    return discovery.MemberFacts(
        household_category="tekun",
        household_status="approved",
        birth_date=born,
        disability_grade=None,
        subsidies=frozenset(),
        **values,
    )


def test_discovery_asks_each_age_for_its_own_assessment() -> None:
    on = date(2026, 2, 15)

    def codes(facts: discovery.MemberFacts) -> list[str]:
        return [code for code, _ in discovery.hits(facts, on)]

    assert codes(_facts(date(1985, 6, 1))) == [RULE]
    assert codes(_facts(date(1985, 6, 1), self_care_assessed_on=date(2025, 3, 1))) == []
    assert codes(_facts(date(1985, 6, 1), self_care_assessed_on=date(2025, 2, 15))) == [RULE]
    # From 60 only the GB/T 42195 assessment counts: a self-care record does not.
    elder = _facts(date(1960, 6, 1), self_care_assessed_on=date(2026, 1, 1))
    assert RULE in codes(elder)
    assessed = _facts(
        date(1960, 6, 1),
        latest_level_code="intact",
        latest_assessed_on=date(2026, 1, 1),
        latest_next_due_on=date(2027, 1, 1),
    )
    assert RULE not in codes(assessed)
    assert discovery.hits(_facts(date(1985, 6, 1)), on)[0][1].startswith("aged 40, tekun, self-care")


async def test_members_under_60_are_paid_the_tier_of_their_self_care_assessment(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    region = "330521113000"
    h = auth("operator", region="330521")
    admin = auth("admin")
    for kind, value in (
        ("dibao_annual", "12000.00"),
        ("tekun_care_able_monthly", "300.00"),
        ("tekun_care_partial_monthly", "800.00"),
        ("tekun_care_full_monthly", "1500.00"),
    ):
        await standard(client, admin, kind, region, value)
    elder = id_number(region[:6], born=date(1955, 6, 1))  # 70 on 2026-02-01, GB/T: severe
    adult = id_number(region[:6], born=date(1985, 6, 1))  # 40, two items not done
    child = id_number(region[:6], born=date(2014, 6, 1))  # 11, never assessed
    older = id_number(region[:6], born=date(1960, 6, 1))  # 65, only a self-care record
    self_care: dict[str, Any] = {"assessed_on": "2026-01-20", "unable": ["indoor_walking", "bathing"]}
    able: dict[str, Any] = {"assessed_on": "2026-01-20", "unable": []}
    members: list[dict[str, Any]] = [
        {"name": "特困长者", "id_number": elder, "relation": "head", "self_care": able},
        {"name": "特困成人", "id_number": adult, "relation": "child", "self_care": self_care},
        {"name": "特困儿童", "id_number": child, "relation": "grandchild"},
        {"name": "特困老人", "id_number": older, "relation": "sibling", "self_care": able},
    ]
    await record(client, h, assessment(region=region, person=elder, total=35, assessed_on=date(2026, 1, 15)))
    house = await approved(client, h, region, on=date(2026, 2, 2), category="tekun", members=members)
    ids = {m["name"]: m["id"] for m in house["members"]}

    # The record reads back in the article's order with its tier; it is not identity data:
    # shown in clear to a viewer, without reveal.
    got = await client.get(f"/api/v1/recipients/{house['id']}", headers=auth("viewer", region="330521"))
    shown = {m["name"]: m["self_care"] for m in got.json()["members"]}
    assert shown["特困成人"] == {
        "assessed_on": "2026-01-20",
        "unable": ["indoor_walking", "bathing"],
        "tier": "partial",
    }
    assert shown["特困儿童"] is None
    assert shown["特困长者"] == {"assessed_on": "2026-01-20", "unable": [], "tier": "able"}

    result = await ran(client, h, region, "2026-02")
    paid = {(p["member_id"], p["kind"]): p["amount"] for p in await payments(client, h, house["id"])}
    assert paid == {
        **{(ids[name], "tekun_basic"): "1300.00" for name in ids},  # 1.3 × 12000.00 / 12
        (ids["特困长者"], "tekun_care"): "1500.00",  # 70: GB/T 重度失能 → full, not the self-care record
        (ids["特困成人"], "tekun_care"): "800.00",  # 40: 2 of 6 items not done → partial
    }
    assert result["totals_by_kind"] == {"tekun_basic": "5200.00", "tekun_care": "2300.00"}
    missing = {
        s["member_id"]: s["reason"]
        for s in await skips(client, h, result["id"])
        if s["household_id"] == house["id"] and s["reason_code"] == "no_current_assessment"
    }
    assert set(missing) == {ids["特困儿童"], ids["特困老人"]}
    assert "no self-care assessment in force (never assessed; aged 11)" in missing[ids["特困儿童"]]
    assert "no capability assessment in force (never assessed; aged 65)" in missing[ids["特困老人"]]

    # Those two are a discovery and a quality finding; the others are not.
    with clock.frozen(noon(date(2026, 2, 15))):
        found = await client.get(
            "/api/v1/recipients/discoveries", params={"rule": RULE, "region_code": region}, headers=h
        )
    assert found.status_code == 200, found.text
    assert sorted(d["member_id"] for d in found.json()["items"]) == sorted([ids["特困儿童"], ids["特困老人"]])
    quality = await client.get(
        f"/api/v1/quality/{RULE}", params={"region_code": region, "as_of": "2026-02-15"}, headers=admin
    )
    assert quality.status_code == 200, quality.text
    details = {f["key"]: f["detail"] for f in quality.json()["items"]}
    assert set(details) == {ids["特困儿童"], ids["特困老人"]}
    assert "under 60" in details[ids["特困儿童"]]
    assert "aged 60+" in details[ids["特困老人"]]


async def test_a_self_care_record_is_made_through_the_household_patch(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    region = "330521114000"
    h = auth("operator", region="330521")
    child = id_number(region[:6], born=date(2016, 3, 3))
    members: list[dict[str, Any]] = [{"name": "孤儿", "id_number": child, "relation": "head"}]
    house = await create(client, h, household(region=region, category="tekun", members=members))
    assert house["members"][0]["self_care"] is None
    on = clock.today().isoformat()

    async def found() -> list[str]:
        r = await client.get(
            "/api/v1/recipients/discoveries", params={"rule": RULE, "region_code": region}, headers=h
        )
        return [d["member_id"] for d in r.json()["items"]]

    assert await found() == [house["members"][0]["id"]]
    members[0]["self_care"] = {"assessed_on": on, "unable": ["eating", "dressing", "bathing", "toileting"]}
    r = await client.patch(
        f"/api/v1/recipients/{house['id']}",
        json={"members": members},
        headers={**h, "If-Match": f'"{house["version"]}"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["members"][0]["self_care"] == {
        "assessed_on": on,
        "unable": ["eating", "dressing", "toileting", "bathing"],
        "tier": "full",
    }
    assert await found() == []

    # Written through the unit of work: the household's change is audited.
    events = (
        await client.get(
            "/api/v1/audit/events",
            params={"action": "recipient_household.update", "resource_id": house["id"]},
            headers=auth("auditor"),
        )
    ).json()["items"]
    assert [e["details"]["fields"] for e in events] == [["members"]]


@pytest.mark.parametrize(
    ("self_care", "loc"),
    [
        ({"assessed_on": "2999-01-01", "unable": []}, ["body", "members", 0, "self_care", "assessed_on"]),
        (
            {"assessed_on": "2026-01-01", "unable": ["eating", "eating"]},
            ["body", "members", 0, "self_care", "unable"],
        ),
        (
            {"assessed_on": "2026-01-01", "unable": ["flying"]},
            ["body", "members", 0, "self_care", "unable", 0],
        ),
        ({"unable": []}, ["body", "members", 0, "self_care", "assessed_on"]),
    ],
)
async def test_a_bad_self_care_record_is_422_at_its_field(
    client: httpx.AsyncClient, auth: TokenFactory, self_care: dict[str, Any], loc: list[Any]
) -> None:
    person = {"name": "评估", "id_number": id_number("330521"), "relation": "head", "self_care": self_care}
    r = await client.post(
        "/api/v1/recipients",
        json=household(region="330521114000", category="tekun", members=[person]),
        headers=auth("operator", region="330521"),
    )
    assert r.status_code == 422, r.text
    assert loc in [e["loc"] for e in r.json()["errors"]], r.json()
