"""No existence oracle: registering a person already registered outside the caller's scope is
refused (409) with a case reference only — no region, household or person — and an admin of
the common parent region looks the case up."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household

BASE = "/api/v1/recipients"
CASES = "/api/v1/recipients/duplicate-cases"


def _one(region: str, person: str) -> dict[str, Any]:
    return household(region=region, members=[{"name": "冯宁", "id_number": person, "relation": "head"}])


async def test_an_out_of_scope_duplicate_gives_a_case_only(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    person = id_number("330502")
    first = await create(client, auth("operator", region="330502"), _one("330502001000", person))

    r = await client.post(BASE, json=_one("330503001000", person), headers=auth("operator", region="330503"))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    ref = body["case_ref"]
    assert re.fullmatch(r"DUP(-[A-Z2-7]{4}){4}", ref)
    assert set(body) == {"type", "title", "status", "detail", "member_index", "case_ref"}
    for secret in (first["id"], "330502", person, person[-4:], "冯宁"):
        assert secret not in r.text

    for scope in ("330503", "330502"):  # either county alone: not the common parent
        hidden = await client.get(f"{CASES}/{ref}", headers=auth("admin", region=scope))
        assert hidden.status_code == 404, scope
        assert first["id"] not in hidden.text
    assert (await client.get(f"{CASES}/{ref}", headers=auth("operator", region="330500"))).status_code == 403

    for scope in ("330500", "330000"):
        found = await client.get(f"{CASES}/{ref}", headers=auth("admin", region=scope))
        assert found.status_code == 200, found.text
        case = found.json()
        assert case["ref"] == ref
        assert case["household_id"] == first["id"]
        assert case["existing_region"] == "330502001000"
        assert case["requested_region"] == "330503001000"
        assert case["scope_region"] == "330500000000"
        assert case["member_index"] == 0
        assert case["id_number"] == person[:6] + "********" + person[-4:]
        assert case["household_status"] == "applied"

    city = (
        await client.get(
            "/api/v1/audit/events", params={"resource_id": ref}, headers=auth("auditor", region="330500")
        )
    ).json()
    actions = {e["action"]: e for e in city["items"]}
    assert actions["recipient.duplicate_case"]["region_code"] == "330500000000"
    assert "recipient.duplicate_case.read" in actions
    county = (
        await client.get(
            "/api/v1/audit/events", params={"resource_id": ref}, headers=auth("auditor", region="330503")
        )
    ).json()
    assert county["items"] == []


async def test_unknown_and_malformed_references(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin", region="330000")
    assert (await client.get(f"{CASES}/DUP-AAAA-BBBB-CCCC-DDDD", headers=admin)).status_code == 404
    assert (await client.get(f"{CASES}/not-a-case", headers=admin)).status_code == 422


async def test_an_import_row_gets_a_case_too(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    person = id_number("330502")
    await create(client, auth("operator", region="330502"), _one("330502003000", person))
    table = (
        "household_key,region_code,category,monthly_income,name,id_number,relation\n"
        f"h1,330521001000,dibao,800.00,冯宁,{person},head\n"
    )
    r = await client.post(
        f"{BASE}/import",
        files={"file": ("people.csv", table.encode(), "text/csv")},
        headers=auth("operator", region="330521"),
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["households_inserted"] == 0
    reason = report["rejected"][0]["reason"]
    assert "330502" not in reason
    ref = re.search(r"DUP(-[A-Z2-7]{4}){4}", reason)
    assert ref, reason
    found = await client.get(f"{CASES}/{ref.group(0)}", headers=auth("admin", region="330500"))
    assert found.status_code == 200, found.text
    assert found.json()["requested_region"] == "330521001000"
