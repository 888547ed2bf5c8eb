"""What a trust publishes on 慈善中国 (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx

from tests.charity_trust.helpers import BASE, create, ok, trust
from tests.conftest import TokenFactory
from tests.factories import uscc


async def test_public_view_hides_unconsented_names_and_all_contacts(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330503")
    company = uscc("9", "1")
    body = trust(
        region="330503",
        filed_on="2022-04-01",
        signed_on="2022-03-30",
        trustors=[
            {"name": "王秘密", "kind": "person", "publish_consent": False, "contact": "13900001111"},
            {"name": "赵公开", "kind": "person", "publish_consent": True, "contact": "13900002222"},
            {"name": "南浔某有限公司", "kind": "organisation", "uscc": company, "publish_consent": False},
        ],
    )
    t = await create(client, h, body)
    await ok(
        client,
        h,
        t["id"],
        "changes",
        {"type": "property", "effective_on": "2022-05-01", "amount": "20000.00", "details": "王秘密追加"},
    )
    await ok(
        client,
        h,
        t["id"],
        "annual-reports",
        {
            "year": 2022,
            "income": "100.00",
            "expenditure": "50.00",
            "charitable_spending": "45.00",
            "fees": "5.00",
            "year_end_balance": "1020050.00",
            "submitted_on": "2023-02-01",
        },
    )
    r = await client.get(f"{BASE}/{t['id']}/public", headers=auth("viewer", region="330503"))
    assert r.status_code == 200, r.text
    pub = r.json()
    assert pub["trustors"] == [
        {"name": "匿名委托人", "kind": "person"},
        {"name": "赵公开", "kind": "person"},
        {"name": "南浔某有限公司", "kind": "organisation"},
    ]
    assert "王秘密" not in r.text
    for phone in ("13900001111", "13900002222", "139****1111", "139****2222"):
        assert phone not in r.text
    assert "contact" not in r.text
    assert pub["filing_authority"] == {"code": "330503000000", "name": "南浔区"}
    assert pub["filing_number"] == body["filing_number"]
    assert pub["current_amount"] == "1020000.00"
    assert pub["changes"] == [
        {
            "type": "property",
            "effective_on": "2022-05-01",
            "filed_on": pub["changes"][0]["filed_on"],
            "amount": "20000.00",
        }
    ]
    assert [a["year"] for a in pub["annual_reports"]] == [2022]
    assert [x["lead"] for x in pub["trustees"]] == [True, False]
    full = (await client.get(f"{BASE}/{t['id']}", headers=h)).json()
    assert full["trustors"][0]["name"] == "王秘密"


async def test_drafts_are_not_published(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330503")
    draft = await create(client, h, trust(region="330503"))
    r = await client.get(f"{BASE}/{draft['id']}/public", headers=h)
    assert r.status_code == 409
    assert r.json()["allowed_statuses"] == ["filed", "terminated"]
    filed = await ok(client, h, draft["id"], "filing", {"filing_number": f"P{draft['id'][-8:]}"})
    ended = await ok(
        client, h, draft["id"], "termination", {"terminated_on": filed["filed_on"], "reason": "目的实现"}
    )
    assert ended["status"] == "terminated"
    published = (await client.get(f"{BASE}/{draft['id']}/public", headers=h)).json()
    assert (published["status"], published["termination_reason"]) == ("terminated", "目的实现")
