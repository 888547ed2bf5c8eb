"""Charity-trust filings over HTTP (runs on SQLite and on PostgreSQL): create, validation,
read, list, edit drafts, file."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.charity_trust.repository import TrustRepository
from app.core.clock import clock
from tests.charity_trust.helpers import BASE, create, locs, ok, post, trust
from tests.conftest import TokenFactory
from tests.factories import unique_suffix, uscc


async def test_create_filed_and_draft(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    body = trust(filed_on="2022-03-08")
    r = await client.post(BASE, json=body, headers=h)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["status"] == "filed"
    assert got["late_filing"] is False
    assert got["filing_due"] == "2022-03-08"
    assert got["region_code"] == "330502000000"
    assert got["initial_amount"] == got["current_amount"] == "1000000.00"
    assert got["version"] == 1
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == f"{BASE}/{got['id']}"
    assert [t["lead"] for t in got["trustees"]] == [True, False]
    assert got["supervisor"]["name"] == "浙江某律师事务所"
    assert got["term"] == {"perpetual": True, "end_on": None}
    assert got["trustors"][0]["contact"] == "138****5678"
    assert "13812345678" not in r.text

    late = await create(client, h, trust(filed_on="2022-03-09"))
    assert (late["status"], late["late_filing"]) == ("filed", True)
    draft = await create(client, h, trust())
    assert (draft["status"], draft["filed_on"], draft["filing_number"]) == ("draft", None, None)
    assert draft["late_filing"] is False


async def test_filing_authority_is_county_or_above(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    city = await create(client, auth("operator", region="330500"), trust(region="330500"))
    province = await create(client, auth("operator", region="330000"), trust(region="330000"))
    assert city["region_code"] == "330500000000"
    assert province["region_code"] == "330000000000"


def _with(body: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def _create_cases() -> list[tuple[str, dict[str, Any], list[str | int]]]:
    good = uscc()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    lead = {"name": "湖州市慈善总会", "uscc": good, "kind": "charity_organisation", "lead": True}
    second = {"name": "某信托", "uscc": uscc("9", "1"), "kind": "trust_company", "lead": False}
    return [
        ("name without 慈善信托", trust(name="湖州共富信托"), ["body", "name"]),
        ("no trustee", trust(trustees=[]), ["body", "trustees"]),
        ("no lead", trust(trustees=[{**lead, "lead": False}, second]), ["body", "trustees"]),
        ("two leads", trust(trustees=[lead, {**second, "lead": True}]), ["body", "trustees"]),
        (
            "same trustee twice",
            trust(trustees=[lead, {**lead, "lead": False}]),
            ["body", "trustees", 1, "uscc"],
        ),
        ("bad trustee USCC", trust(trustees=[{**lead, "uscc": bad}]), ["body", "trustees", 0, "uscc"]),
        ("USCC with I", trust(trustees=[{**lead, "uscc": "I" * 18}]), ["body", "trustees", 0, "uscc"]),
        (
            "bad trustor USCC",
            trust(trustors=[{"name": "某公司", "kind": "organisation", "uscc": bad}]),
            ["body", "trustors", 0, "uscc"],
        ),
        (
            "organisation trustor without USCC",
            trust(trustors=[{"name": "张伟", "kind": "person"}, {"name": "某公司", "kind": "organisation"}]),
            ["body", "trustors", 1, "uscc"],
        ),
        (
            "person with USCC",
            trust(trustors=[{"name": "张伟", "kind": "person", "uscc": uscc()}]),
            ["body", "trustors", 0, "uscc"],
        ),
        ("no trustor", trust(trustors=[]), ["body", "trustors"]),
        (
            "bad supervisor USCC",
            trust(supervisor={"name": "某所", "uscc": bad}),
            ["body", "supervisor", "uscc"],
        ),
        (
            "supervisor is a trustee",
            trust(trustees=[lead], supervisor={"name": "某会", "uscc": good}),
            ["body", "supervisor", "uscc"],
        ),
        (
            "end before signing",
            trust(term={"perpetual": False, "end_on": "2022-02-28"}),
            ["body", "term", "end_on"],
        ),
        (
            "end on the signing day",
            trust(term={"perpetual": False, "end_on": "2022-03-01"}),
            ["body", "term", "end_on"],
        ),
        ("fixed term without end", trust(term={"perpetual": False}), ["body", "term", "end_on"]),
        (
            "perpetual with end",
            trust(term={"perpetual": True, "end_on": "2030-01-01"}),
            ["body", "term", "end_on"],
        ),
        ("zero amount", trust(amount="0.00"), ["body", "initial_amount"]),
        ("negative amount", trust(amount="-5.00"), ["body", "initial_amount"]),
        ("sub-fen amount", trust(amount="1.005"), ["body", "initial_amount"]),
        ("float amount", _with(trust(), ["initial_amount"], 1000.5), ["body", "initial_amount"]),
        ("township authority", trust(region="330502001000"), ["body", "region_code"]),
        ("unknown authority", trust(region="330599"), ["body", "region_code"]),
        ("bad property type", trust(property_type="gold"), ["body", "property_type"]),
        ("bad category", trust(purpose_categories=["luck"]), ["body", "purpose_categories", 0]),
        (
            "repeated category",
            trust(purpose_categories=["education", "education"]),
            ["body", "purpose_categories"],
        ),
        (
            "signed in the future",
            trust(signed_on=(clock.today() + timedelta(days=1)).isoformat()),
            ["body", "signed_on"],
        ),
        ("number without date", trust(filing_number="湖民慈信备1号"), ["body", "filed_on"]),
        ("date without number", _with(trust(), ["filed_on"], "2022-03-02"), ["body", "filing_number"]),
        (
            "filed before signing",
            trust(filed_on="2022-02-01", filing_number=f"N{unique_suffix()}"),
            ["body", "filed_on"],
        ),
        (
            "filed in the future",
            trust(
                filed_on=(clock.today() + timedelta(days=1)).isoformat(), filing_number=f"N{unique_suffix()}"
            ),
            ["body", "filed_on"],
        ),
        ("unknown field", trust(beneficiaries=["x"]), ["body", "beneficiaries"]),
        (
            "bad trustor phone",
            trust(trustors=[{"name": "张伟", "kind": "person", "contact": "12345"}]),
            ["body", "trustors", 0, "contact"],
        ),
    ]


CREATE_CASES = _create_cases()


@pytest.mark.parametrize(("case", "body", "loc"), CREATE_CASES, ids=[c[0] for c in CREATE_CASES])
async def test_create_validation_points_at_the_field(
    client: httpx.AsyncClient, auth: TokenFactory, case: str, body: dict[str, Any], loc: list[str | int]
) -> None:
    r = await client.post(BASE, json=body, headers=auth("operator", region="330000"))
    assert loc in locs(r), (case, r.json())
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_filing_number_is_unique_per_authority(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330500")
    number = f"湖民慈信备〔2022〕{unique_suffix()}号"
    first = trust(filed_on="2022-03-05", filing_number=number)
    await create(client, h, first)
    again = await client.post(BASE, json=trust(filed_on="2022-03-05", filing_number=number), headers=h)
    assert locs(again) == [["body", "filing_number"]]
    assert number in again.json()["errors"][0]["msg"]
    elsewhere = await create(client, h, trust(region="330503", filed_on="2022-03-05", filing_number=number))
    assert elsewhere["filing_number"] == number
    draft = await create(client, h, trust())
    taken = await post(client, h, draft["id"], "filing", {"filing_number": number, "filed_on": "2022-03-06"})
    assert locs(taken) == [["body", "filing_number"]]


async def test_scope_permissions_and_authentication(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    body = trust(region="330503")
    assert (await client.post(BASE, json=body, headers=auth("operator", region="330502"))).status_code == 403
    assert (await client.post(BASE, json=body, headers=auth("viewer", region="330503"))).status_code == 403
    assert (await client.post(BASE, json=body)).status_code == 401
    created = await create(client, auth("operator", region="330502"))
    other = auth("operator", region="330503")
    url = f"{BASE}/{created['id']}"
    assert (await client.get(url, headers=other)).status_code == 404
    assert (await client.get(url)).status_code == 401
    assert (await client.get(f"{url}/public")).status_code == 401
    assert (await client.get(f"{url}/public", headers=other)).status_code == 404
    assert (await client.get(f"{url}/public", headers=auth("auditor"))).status_code == 403
    patch = await client.patch(url, json={"purpose": "x"}, headers={**other, "If-Match": '"1"'})
    assert patch.status_code == 404
    assert (await post(client, other, created["id"], "filing", {"filing_number": "x"})).status_code == 404
    listed = (await client.get(BASE, params={"limit": 500}, headers=other)).json()["items"]
    assert created["id"] not in [i["id"] for i in listed]
    city = (await client.get(url, headers=auth("viewer", region="330500"))).json()
    assert city["id"] == created["id"]


async def test_reveal_contact_needs_the_right_role_and_is_audited(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    created = await create(client, auth("operator", region="330502"))
    url = f"{BASE}/{created['id']}"
    assert (await client.get(url, params={"reveal": "true"}, headers=auth("viewer"))).status_code == 403
    r = await client.get(url, params={"reveal": "true"}, headers=auth("operator", sub="trust-revealer"))
    assert r.status_code == 200
    assert r.json()["trustors"][0]["contact"] == "13812345678"
    events = (
        await client.get(
            "/api/v1/audit/events",
            params={"action": "pii.reveal", "resource_id": created["id"]},
            headers=auth("auditor"),
        )
    ).json()["items"]
    assert [e["actor_sub"] for e in events] == ["trust-revealer"]


async def test_idempotent_create(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = {**auth("operator", region="330502"), "Idempotency-Key": f"trust-{unique_suffix()}"}
    body = trust()
    first = await client.post(BASE, json=body, headers=h)
    second = await client.post(BASE, json=body, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["idempotency-replayed"] == "true"
    other = await client.post(BASE, json=trust(), headers=h)
    assert locs(other) == [["header", "Idempotency-Key"]]


async def test_list_filters(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330500")
    tag = unique_suffix()
    trustee = uscc()
    lead = {"name": "某慈善基金会", "uscc": trustee, "kind": "charity_organisation", "lead": True}
    a = await create(
        client, h, trust(name=f"筛选{tag}慈善信托", signed_on="2021-05-01", filed_on="2021-05-03")
    )
    b = await create(client, h, trust(region="330521", name=f"筛选{tag}乙慈善信托", trustees=[lead]))
    c = await create(
        client,
        h,
        trust(name=f"另{tag}慈善信托", trustees=[lead], signed_on="2022-06-01", filed_on="2022-06-30"),
    )

    async def ids(**params: Any) -> list[str]:
        page = (await client.get(BASE, params={"limit": 500, **params}, headers=h)).json()
        return [i["id"] for i in page["items"]]

    assert await ids(q=f"筛选{tag}") == [b["id"], a["id"]]
    assert await ids(q=tag, status="draft") == [b["id"]]
    assert await ids(q=tag, region_code="330521") == [b["id"]]
    assert await ids(trustee_uscc=trustee.lower()) == [c["id"], b["id"]]
    assert await ids(q=tag, signed_from="2021-01-01", signed_to="2021-12-31") == [a["id"]]
    assert await ids(q=tag, filed_from="2022-06-30", filed_to="2022-06-30") == [c["id"]]
    assert await ids(q=c["filing_number"]) == [c["id"]]
    total = (await client.get(BASE, params={"q": tag, "count": "true", "limit": 1}, headers=h)).json()
    assert total["total"] == 3
    assert total["next_cursor"]
    rest = (
        await client.get(BASE, params={"q": tag, "limit": 5, "cursor": total["next_cursor"]}, headers=h)
    ).json()
    assert len(rest["items"]) == 2
    bad = await client.get(BASE, params={"status": "lost"}, headers=h)
    assert locs(bad) == [["query", "status"]]


async def test_filters_combine_into_one_query(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    """Every filter narrows the same query: a combination returns the trusts that meet all of
    them, unknown parameters are ignored, and bad values are refused together."""
    h = auth("operator", region="330500")
    tag = unique_suffix()
    trustee = uscc()
    lead = {"name": "组合慈善基金会", "uscc": trustee, "kind": "charity_organisation", "lead": True}
    early = await create(
        client,
        h,
        trust(
            region="330521",
            name=f"组合{tag}甲慈善信托",
            trustees=[lead],
            signed_on="2021-04-01",
            filed_on="2021-04-02",
        ),
    )
    later = await create(
        client,
        h,
        trust(
            region="330521",
            name=f"组合{tag}乙慈善信托",
            trustees=[lead],
            signed_on="2021-09-01",
            filed_on="2021-09-30",
        ),
    )
    draft = await create(client, h, trust(region="330521", name=f"组合{tag}丙慈善信托", trustees=[lead]))
    city = await create(
        client,
        h,
        trust(
            region="330500",
            name=f"组合{tag}丁慈善信托",
            trustees=[lead],
            signed_on="2021-04-01",
            filed_on="2021-04-03",
        ),
    )

    async def ids(**params: Any) -> list[str]:
        r = await client.get(BASE, params={"limit": 500, **params}, headers=h)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids(q=tag) == [city["id"], draft["id"], later["id"], early["id"]]
    assert await ids(q=tag, region_code="330521", status="filed") == [later["id"], early["id"]]
    assert await ids(q=tag, region_code="330521000000", status="filed", filed_to="2021-06-30") == [
        early["id"]
    ]
    assert await ids(trustee_uscc=trustee, signed_from="2021-04-01", signed_to="2021-04-30") == [
        city["id"],
        early["id"],
    ]
    wide = trustee.replace(trustee[0], chr(ord(trustee[0]) + 0xFEE0), 1)  # a full-width first character
    assert await ids(trustee_uscc=wide, region_code="330521", filed_from="2021-04-01") == [
        later["id"],
        early["id"],
    ]
    assert await ids(trustee_uscc=trustee, status="draft", q=f"{tag}丙") == [draft["id"]]
    assert await ids(trustee_uscc=trustee, status="terminated") == []
    assert await ids(q=tag, region_code="330502") == []
    assert await ids(q=tag, shape="round", state="filed") == await ids(q=tag)

    bad = await client.get(
        BASE, params={"region_code": "3305", "status": "lost", "filed_to": "2021-02-30", "q": ""}, headers=h
    )
    assert bad.status_code == 422
    assert locs(bad) == [["query", "region_code"], ["query", "status"], ["query", "filed_to"], ["query", "q"]]


async def test_patch_a_draft(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    created = await create(client, h)
    url = f"{BASE}/{created['id']}"
    assert (await client.patch(url, json={"purpose": "新目的"}, headers=h)).status_code == 428
    assert (
        await client.patch(url, json={"purpose": "新目的"}, headers={**h, "If-Match": '"9"'})
    ).status_code == 412
    new_lead = {"name": "新受托人慈善会", "uscc": uscc(), "kind": "charity_organisation", "lead": True}
    kept = {**created["trustees"][1], "lead": False}
    r = await client.patch(
        url,
        json={
            "initial_amount": "2500000.00",
            "trustees": [kept, new_lead],
            "trustors": [{"name": "李娜", "kind": "person", "publish_consent": True}],
            "supervisor": None,
            "term": {"perpetual": False, "end_on": "2032-02-29"},
        },
        headers={**h, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert got["initial_amount"] == got["current_amount"] == "2500000.00"
    assert [t["name"] for t in got["trustees"]] == [kept["name"], "新受托人慈善会"]
    assert [t["name"] for t in got["trustors"]] == ["李娜"]
    assert got["supervisor"] is None
    assert got["term"] == {"perpetual": False, "end_on": "2032-02-29"}
    fetched = (await client.get(url, headers=h)).json()
    assert fetched == got


async def test_patch_validation(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    created = await create(client, h, trust(term={"perpetual": False, "end_on": "2023-01-01"}))
    url = f"{BASE}/{created['id']}"
    match = {**h, "If-Match": '"1"'}
    two_leads = [{**t, "lead": True} for t in created["trustees"]]
    cases: list[tuple[dict[str, Any], list[str | int]]] = [
        ({"name": "没有标记"}, ["body", "name"]),
        ({"name": None}, ["body", "name"]),
        ({"initial_amount": "0"}, ["body", "initial_amount"]),
        ({"trustees": two_leads}, ["body", "trustees"]),
        ({"trustors": [{"name": "某公司", "kind": "organisation"}]}, ["body", "trustors", 0, "uscc"]),
        ({"signed_on": "2023-01-01"}, ["body", "signed_on"]),
        ({"term": {"perpetual": False, "end_on": "2022-01-01"}}, ["body", "term", "end_on"]),
        (
            {"supervisor": {"name": "监", "uscc": created["trustees"][0]["uscc"]}},
            ["body", "supervisor", "uscc"],
        ),
        ({"region_code": "330503"}, ["body", "region_code"]),
        ({"filing_number": "x"}, ["body", "filing_number"]),
    ]
    for body, loc in cases:
        r = await client.patch(url, json=body, headers=match)
        assert loc in locs(r), (body, r.json())
    assert (await client.get(url, headers=h)).json()["version"] == 1


async def test_filing_a_draft(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    draft = await create(client, h, trust(signed_on="2022-05-10"))
    tid = draft["id"]
    assert locs(await post(client, h, tid, "filing", {"filing_number": "N", "filed_on": "2022-05-09"})) == [
        ["body", "filed_on"]
    ]
    assert locs(await post(client, h, tid, "filing", {"filing_number": " "})) == [["body", "filing_number"]]
    assert locs(await post(client, h, tid, "filing", {})) == [["body", "filing_number"]]
    stale = await client.post(
        f"{BASE}/{tid}/filing", json={"filing_number": "N"}, headers={**h, "If-Match": '"5"'}
    )
    assert stale.status_code == 412
    number = f"湖民慈信备{unique_suffix()}"
    filed = await ok(
        client, {**h, "If-Match": '"1"'}, tid, "filing", {"filing_number": number, "filed_on": "2022-05-20"}
    )
    assert (filed["status"], filed["filing_number"], filed["filed_on"]) == ("filed", number, "2022-05-20")
    assert filed["late_filing"] is True
    assert filed["version"] == 2
    again = await post(client, h, tid, "filing", {"filing_number": f"X{unique_suffix()}"})
    assert again.status_code == 409
    assert again.json()["trust_status"] == "filed"
    patch = await client.patch(f"{BASE}/{tid}", json={"purpose": "改"}, headers={**h, "If-Match": '"2"'})
    assert patch.status_code == 409
    assert patch.json()["allowed_statuses"] == ["draft"]
    today = await ok(
        client,
        h,
        (await create(client, h, trust()))["id"],
        "filing",
        {"filing_number": f"T{unique_suffix()}"},
    )
    assert today["filed_on"] == clock.today().isoformat()


async def test_the_unique_constraint_backs_the_filing_number_check(
    client: httpx.AsyncClient, auth: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two concurrent filings can both pass the look-up; the constraint still answers 422."""

    h = auth("operator", region="330502")
    first = await create(client, h, trust(filed_on="2022-03-05"))

    async def never_taken(*_args: Any, **_kwargs: Any) -> bool:
        return False

    monkeypatch.setattr(TrustRepository, "filing_number_taken", never_taken)
    twin = await client.post(
        BASE, json=trust(filed_on="2022-03-05", filing_number=first["filing_number"]), headers=h
    )
    assert locs(twin) == [["body", "filing_number"]]
    draft = await create(client, h)
    filed = await post(client, h, draft["id"], "filing", {"filing_number": first["filing_number"]})
    assert locs(filed) == [["body", "filing_number"]]
    assert (await client.get(f"{BASE}/{draft['id']}", headers=h)).json()["status"] == "draft"


async def test_writes_are_audited(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502", sub="trust-clerk")
    draft = await create(client, h)
    await ok(client, h, draft["id"], "filing", {"filing_number": f"A{unique_suffix()}"})
    events = (
        await client.get(
            "/api/v1/audit/events", params={"resource_id": draft["id"], "limit": 50}, headers=auth("auditor")
        )
    ).json()["items"]
    actions = sorted(e["action"] for e in events)
    assert actions == ["charity_trust.create", "charity_trust.file"]
    assert {e["actor_sub"] for e in events} == {"trust-clerk"}
