"""Change filings, annual reports and termination over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from tests.charity_trust.helpers import BASE, create, locs, ok, post, trust
from tests.conftest import TokenFactory
from tests.factories import unique_suffix, uscc

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


async def _filed(client: httpx.AsyncClient, h: dict[str, str], **extra: Any) -> dict[str, Any]:
    return await create(client, h, trust(filed_on="2022-03-05", **extra))


async def test_property_changes_move_the_current_amount(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    t = await _filed(client, h)
    tid = t["id"]
    added = await ok(
        client,
        h,
        tid,
        "changes",
        {"type": "property", "effective_on": "2022-06-01", "filed_on": "2022-06-08", "amount": "500000.00"},
    )
    assert (added["amount"], added["amount_after"], added["late"]) == ("500000.00", "1500000.00", False)
    assert added["due_on"] == "2022-06-08"
    assert added["before"] == {"current_amount": "1000000.00"}
    assert added["after"] == {"current_amount": "1500000.00"}
    withdrawn = await ok(
        client,
        {**h, "If-Match": '"2"'},
        tid,
        "changes",
        {"type": "property", "effective_on": "2022-07-01", "filed_on": "2022-07-09", "amount": "-1499999.99"},
    )
    assert (withdrawn["amount_after"], withdrawn["late"]) == ("0.01", True)
    got = (await client.get(f"{BASE}/{tid}", headers=h)).json()
    assert (got["current_amount"], got["initial_amount"], got["version"]) == ("0.01", "1000000.00", 3)
    emptied = await post(
        client, h, tid, "changes", {"type": "property", "effective_on": "2022-08-01", "amount": "-0.01"}
    )
    assert locs(emptied) == [["body", "amount"]]
    stale = await client.post(
        f"{BASE}/{tid}/changes",
        json={"type": "property", "effective_on": "2022-08-01", "amount": "1.00"},
        headers={**h, "If-Match": '"1"'},
    )
    assert stale.status_code == 412
    history = (await client.get(f"{BASE}/{tid}/changes", headers=h)).json()["items"]
    assert [c["amount"] for c in history] == ["500000.00", "-1499999.99"]


async def test_trustee_and_purpose_changes(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    t = await _filed(client, h)
    tid = t["id"]
    code = uscc()
    successor = {"name": "接任慈善基金会", "uscc": code, "kind": "charity_organisation", "lead": True}
    changed = await ok(
        client,
        h,
        tid,
        "changes",
        {"type": "trustee", "effective_on": "2023-01-02", "filed_on": "2023-01-05", "trustees": [successor]},
    )
    assert [x["name"] for x in changed["before"]["trustees"]] == [x["name"] for x in t["trustees"]]
    assert changed["after"]["trustees"] == [successor]
    purpose = await ok(
        client,
        h,
        tid,
        "changes",
        {
            "type": "purpose",
            "effective_on": "2023-02-01",
            "purpose": "助老",
            "purpose_categories": ["elderly_orphans_sick_disabled"],
        },
    )
    assert purpose["late"] is True
    assert purpose["after"] == {"purpose": "助老", "purpose_categories": ["elderly_orphans_sick_disabled"]}
    other = await ok(
        client,
        h,
        tid,
        "changes",
        {"type": "other", "effective_on": "2023-03-01", "details": "受益人范围调整"},
    )
    assert (other["before"], other["after"], other["details"]) == (None, None, "受益人范围调整")
    got = (await client.get(f"{BASE}/{tid}", headers=h)).json()
    assert got["trustees"] == [successor]
    assert (got["purpose"], got["purpose_categories"]) == ("助老", ["elderly_orphans_sick_disabled"])
    assert got["version"] == 3
    by_trustee = (await client.get(BASE, params={"trustee_uscc": code}, headers=h)).json()
    assert [i["id"] for i in by_trustee["items"]] == [tid]
    history = (await client.get(f"{BASE}/{tid}/changes", params={"limit": 2}, headers=h)).json()
    assert [c["type"] for c in history["items"]] == ["trustee", "purpose"]
    rest = (
        await client.get(f"{BASE}/{tid}/changes", params={"cursor": history["next_cursor"]}, headers=h)
    ).json()
    assert [c["type"] for c in rest["items"]] == ["other"]


async def test_change_validation(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    t = await _filed(client, h)
    lead = {"name": "某会", "uscc": uscc(), "kind": "charity_organisation", "lead": True}
    cases: list[tuple[dict[str, Any], list[str | int]]] = [
        ({"type": "property", "effective_on": "2022-06-01"}, ["body", "amount"]),
        ({"type": "property", "effective_on": "2022-06-01", "amount": "0"}, ["body", "amount"]),
        ({"type": "property", "effective_on": "2022-06-01", "amount": "-1000000.00"}, ["body", "amount"]),
        ({"type": "other", "effective_on": "2022-06-01", "details": "x", "amount": "5"}, ["body", "amount"]),
        ({"type": "other", "effective_on": "2022-06-01"}, ["body", "details"]),
        ({"type": "trustee", "effective_on": "2022-06-01"}, ["body", "trustees"]),
        (
            {"type": "trustee", "effective_on": "2022-06-01", "trustees": [{**lead, "lead": False}]},
            ["body", "trustees"],
        ),
        (
            {"type": "trustee", "effective_on": "2022-06-01", "trustees": [{**lead, "uscc": "X" * 18}]},
            ["body", "trustees", 0, "uscc"],
        ),
        (
            {
                "type": "trustee",
                "effective_on": "2022-06-01",
                "trustees": [{**lead, "uscc": t["supervisor"]["uscc"]}],
            },
            ["body", "trustees"],
        ),
        ({"type": "purpose", "effective_on": "2022-06-01"}, ["body", "purpose"]),
        (
            {"type": "purpose", "effective_on": "2022-06-01", "purpose_categories": []},
            ["body", "purpose_categories"],
        ),
        ({"type": "property", "effective_on": "2022-02-01", "amount": "1"}, ["body", "effective_on"]),
        (
            {"type": "property", "effective_on": "2022-06-01", "amount": "1", "filed_on": TOMORROW},
            ["body", "filed_on"],
        ),
        (
            {"type": "property", "effective_on": "2022-03-01", "amount": "1", "filed_on": "2022-03-04"},
            ["body", "filed_on"],
        ),
        ({"type": "merger", "effective_on": "2022-06-01"}, ["body", "type"]),
        ({"type": "other", "details": "x"}, ["body", "effective_on"]),
    ]
    for body, loc in cases:
        r = await post(client, h, t["id"], "changes", body)
        assert loc in locs(r), (body, r.json())
    assert (await client.get(f"{BASE}/{t['id']}/changes", headers=h)).json()["items"] == []


async def test_annual_reports(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    t = await _filed(client, h)
    tid = t["id"]
    figures = {
        "income": "30000.00",
        "expenditure": "52000.00",
        "charitable_spending": "50000.00",
        "fees": "2000.00",
        "year_end_balance": "978000.00",
    }
    on_time = await ok(
        client, h, tid, "annual-reports", {"year": 2022, **figures, "submitted_on": "2023-04-30"}
    )
    assert (on_time["late"], on_time["due_on"], on_time["charitable_spending"]) == (
        False,
        "2023-04-30",
        "50000.00",
    )
    late = await ok(client, h, tid, "annual-reports", {"year": 2023, **figures, "submitted_on": "2024-05-01"})
    assert late["late"] is True
    dup = await post(client, h, tid, "annual-reports", {"year": 2022, **figures})
    assert dup.status_code == 409
    assert dup.json()["year"] == 2022
    listed = (await client.get(f"{BASE}/{tid}/annual-reports", headers=h)).json()["items"]
    assert [(r["year"], r["late"]) for r in listed] == [(2022, False), (2023, True)]
    key = {**h, "Idempotency-Key": f"report-{unique_suffix()}"}
    body = {"year": 2024, **figures, "submitted_on": "2025-03-01"}
    first = await post(client, key, tid, "annual-reports", body)
    second = await post(client, key, tid, "annual-reports", body)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]


async def test_annual_report_validation(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    t = await _filed(client, h)
    good = {
        "year": 2022,
        "income": "0",
        "expenditure": "100.00",
        "charitable_spending": "90.00",
        "fees": "10.00",
        "year_end_balance": "1000.00",
        "submitted_on": "2023-03-01",
    }
    this_year = date.today().year
    cases: list[tuple[dict[str, Any], list[str | int]]] = [
        ({**good, "year": this_year, "submitted_on": None}, ["body", "year"]),
        ({**good, "year": 2022, "submitted_on": "2022-12-31"}, ["body", "year"]),
        ({**good, "year": 2021}, ["body", "year"]),
        ({**good, "year": 1800}, ["body", "year"]),
        ({**good, "income": "-1.00"}, ["body", "income"]),
        ({**good, "fees": "-1.00"}, ["body", "fees"]),
        ({**good, "year_end_balance": "-1.00"}, ["body", "year_end_balance"]),
        ({**good, "charitable_spending": "90.01"}, ["body", "charitable_spending"]),
        ({**good, "submitted_on": TOMORROW}, ["body", "submitted_on"]),
        ({**good, "submitted_on": "2022-03-04"}, ["body", "submitted_on"]),
        ({k: v for k, v in good.items() if k != "expenditure"}, ["body", "expenditure"]),
    ]
    for body, loc in cases:
        r = await post(client, h, t["id"], "annual-reports", {k: v for k, v in body.items() if v is not None})
        assert loc in locs(r), (body, r.json())
    assert (await client.get(f"{BASE}/{t['id']}/annual-reports", headers=h)).json()["items"] == []


async def test_termination_and_what_is_refused_after_it(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    t = await _filed(client, h)
    tid = t["id"]
    cases: list[tuple[dict[str, Any], list[str | int]]] = [
        ({"terminated_on": TOMORROW, "reason": "期满"}, ["body", "terminated_on"]),
        ({"terminated_on": "2022-03-04", "reason": "期满"}, ["body", "terminated_on"]),
        (
            {"terminated_on": "2023-03-01", "reason": "期满", "reported_on": "2023-02-28"},
            ["body", "reported_on"],
        ),
        ({"terminated_on": "2023-03-01", "reason": " "}, ["body", "reason"]),
    ]
    for body, loc in cases:
        assert loc in locs(await post(client, h, tid, "termination", body)), body
    ended = await ok(
        client,
        h,
        tid,
        "termination",
        {"terminated_on": "2023-03-01", "reason": "信托财产用尽", "reported_on": "2023-03-17"},
    )
    assert (ended["status"], ended["terminated_on"], ended["late_termination"]) == (
        "terminated",
        "2023-03-01",
        True,
    )
    assert ended["termination_reason"] == "信托财产用尽"
    refused = [
        await post(client, h, tid, "termination", {"terminated_on": "2023-03-01", "reason": "x"}),
        await post(
            client, h, tid, "changes", {"type": "other", "effective_on": "2023-03-02", "details": "x"}
        ),
        await post(
            client,
            h,
            tid,
            "annual-reports",
            {
                "year": 2022,
                "income": "0",
                "expenditure": "0",
                "charitable_spending": "0",
                "fees": "0",
                "year_end_balance": "0",
            },
        ),
        await post(client, h, tid, "filing", {"filing_number": "x"}),
    ]
    assert [r.status_code for r in refused] == [409, 409, 409, 409]
    assert all(r.json()["trust_status"] == "terminated" for r in refused)
    assert all(r.json()["status"] == 409 for r in refused)
    on_time = await create(client, h, trust(filed_on="2022-03-05"))
    done = await ok(
        client,
        h,
        on_time["id"],
        "termination",
        {"terminated_on": "2023-03-01", "reason": "期满", "reported_on": "2023-03-16"},
    )
    assert done["late_termination"] is False


async def test_drafts_take_no_changes_reports_or_termination(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    draft = await create(client, h)
    tid = draft["id"]
    refused = [
        await post(
            client, h, tid, "changes", {"type": "property", "effective_on": "2022-06-01", "amount": "1"}
        ),
        await post(
            client,
            h,
            tid,
            "annual-reports",
            {
                "year": 2022,
                "income": "0",
                "expenditure": "0",
                "charitable_spending": "0",
                "fees": "0",
                "year_end_balance": "0",
            },
        ),
        await post(client, h, tid, "termination", {"terminated_on": "2022-06-01", "reason": "x"}),
    ]
    assert [r.status_code for r in refused] == [409, 409, 409]
    assert refused[0].json()["allowed_statuses"] == ["filed"]
    missing = f"{BASE}/01890000-0000-7000-8000-000000000000"
    assert (
        await client.post(
            f"{missing}/changes",
            json={"type": "other", "effective_on": "2022-01-01", "details": "x"},
            headers=h,
        )
    ).status_code == 404
    assert (await client.get(f"{missing}/annual-reports", headers=h)).status_code == 404
    assert (await client.get(f"{missing}/changes", headers=h)).status_code == 404
