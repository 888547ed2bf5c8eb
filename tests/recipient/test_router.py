"""Recipients over HTTP (runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import httpx
from openpyxl import Workbook

from app.core.clock import clock
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household, move

BASE = "/api/v1/recipients"


async def test_create_masks_and_computes(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    body = household(income="1500.00")
    r = await client.post(BASE, json=body, headers=h)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["status"] == "applied"
    assert got["version"] == 1
    assert got["member_count"] == 2
    assert got["per_capita_income"] == "750.00"
    assert got["monthly_income"] == "1500.00"
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == f"{BASE}/{got['id']}"
    clear = body["members"][0]["id_number"]
    assert got["members"][0]["id_number"] == clear[:6] + "********" + clear[-4:]
    assert got["members"][0]["phone"] == "138****5678"
    assert clear not in r.text


async def test_validation_errors_point_at_the_field(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    good = id_number("330502")
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    cases = [
        (
            household(members=[{"name": "甲", "id_number": bad_check, "relation": "head"}]),
            ["body", "members", 0, "id_number"],
        ),
        (household(members=[{"name": "甲", "id_number": good, "relation": "spouse"}]), ["body", "members"]),
        (
            household(
                members=[
                    {"name": "甲", "id_number": good, "relation": "head"},
                    {"name": "乙", "id_number": id_number(), "relation": "head"},
                ]
            ),
            ["body", "members", 1, "relation"],
        ),
        (
            household(
                members=[
                    {"name": "甲", "id_number": good, "relation": "head"},
                    {"name": "乙", "id_number": good, "relation": "child"},
                ]
            ),
            ["body", "members", 1, "id_number"],
        ),
        (household(income="-1.00"), ["body", "monthly_income"]),
        (household(income="1.005"), ["body", "monthly_income"]),
        (household(region="330502999999"), ["body", "region_code"]),
        (household(region="330502000000"), ["body", "region_code"]),
        (
            household(members=[{"name": "x" * 51, "id_number": good, "relation": "head"}]),
            ["body", "members", 0, "name"],
        ),
        (household(members=[]), ["body", "members"]),
    ]
    for body, loc in cases:
        r = await client.post(BASE, json=body, headers=h)
        assert r.status_code == 422, (loc, r.text)
        assert loc in [e["loc"] for e in r.json()["errors"]], (loc, r.json())


async def test_out_of_scope_write_is_403_and_read_is_404(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    r = await client.post(
        BASE, json=household(region="330503001000"), headers=auth("operator", region="330502")
    )
    assert r.status_code == 403
    created = await create(client, auth("operator", region="330502"))
    other = auth("operator", region="330503")
    assert (await client.get(f"{BASE}/{created['id']}", headers=other)).status_code == 404
    patch = await client.patch(
        f"{BASE}/{created['id']}", json={"monthly_income": "1.00"}, headers={**other, "If-Match": '"1"'}
    )
    assert patch.status_code == 404
    listed = (await client.get(BASE, params={"limit": 500}, headers=other)).json()["items"]
    assert created["id"] not in [i["id"] for i in listed]


async def test_list_filters(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    tag = id_number()[-6:]
    person = id_number("330502")
    a = await create(
        client,
        h,
        household(
            category="tekun", members=[{"name": f"筛选{tag}", "id_number": person, "relation": "head"}]
        ),
    )
    await create(
        client,
        h,
        household(
            region="330502002000",
            members=[{"name": f"筛选{tag}", "id_number": id_number(), "relation": "head"}],
        ),
    )
    by_name = (await client.get(BASE, params={"q": f"筛选{tag}", "count": "true"}, headers=h)).json()
    assert by_name["total"] == 2
    by_cat = (await client.get(BASE, params={"q": f"筛选{tag}", "category": "tekun"}, headers=h)).json()
    assert [i["id"] for i in by_cat["items"]] == [a["id"]]
    by_region = (
        await client.get(BASE, params={"q": f"筛选{tag}", "region_code": "330502001000"}, headers=h)
    ).json()
    assert [i["id"] for i in by_region["items"]] == [a["id"]]
    by_id = (await client.get(BASE, params={"id_number": person.lower()}, headers=h)).json()
    assert [i["id"] for i in by_id["items"]] == [a["id"]]
    by_status = (await client.get(BASE, params={"q": f"筛选{tag}", "status": "approved"}, headers=h)).json()
    assert by_status["items"] == []


async def test_reveal_needs_the_right_role_and_is_audited(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    body = household()
    created = await create(client, auth("operator", region="330502"), body)
    url = f"{BASE}/{created['id']}"
    assert (
        await client.get(url, params={"reveal": "true"}, headers=auth("viewer", region="330502"))
    ).status_code == 403
    r = await client.get(
        url, params={"reveal": "true"}, headers=auth("operator", region="330502", sub="revealer")
    )
    assert r.status_code == 200
    assert r.json()["members"][0]["id_number"] == body["members"][0]["id_number"]
    assert r.json()["members"][0]["phone"] == "13812345678"
    events = (
        await client.get(
            "/api/v1/audit/events",
            params={"action": "pii.reveal", "resource_id": created["id"]},
            headers=auth("auditor"),
        )
    ).json()["items"]
    assert len(events) == 1
    assert events[0]["actor_sub"] == "revealer"


async def test_update_needs_if_match_and_replaces_members(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    body = household()
    created = await create(client, h, body)
    url = f"{BASE}/{created['id']}"
    assert (await client.patch(url, json={"monthly_income": "10.00"}, headers=h)).status_code == 428
    stale = await client.patch(url, json={"monthly_income": "10.00"}, headers={**h, "If-Match": '"7"'})
    assert stale.status_code == 412
    new_child = id_number("330502", born=date(2015, 5, 5))
    members = [body["members"][0], {"name": "小明", "id_number": new_child, "relation": "child"}]
    r = await client.patch(
        url, json={"members": members, "monthly_income": "900.00"}, headers={**h, "If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert [m["name"] for m in got["members"]] == ["张伟", "小明"]
    assert got["members"][1]["age"] >= 10
    assert got["members"][0]["id"] == created["members"][0]["id"]
    again = await client.patch(url, json={"monthly_income": "800.00"}, headers={**h, "If-Match": '"1"'})
    assert again.status_code == 412


async def test_delete_is_a_tombstone(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    created = await create(client, h)
    url = f"{BASE}/{created['id']}"
    assert (await client.delete(url, headers=h)).status_code == 428
    assert (await client.delete(url, headers={**h, "If-Match": '"1"'})).status_code == 204
    assert (await client.get(url, headers=h)).status_code == 404


async def test_workflow_and_history(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    created = await create(client, h)
    hid = created["id"]
    bad = await client.post(f"{BASE}/{hid}/transitions", json={"action": "approve"}, headers=h)
    assert bad.status_code == 409
    assert bad.json()["allowed"] == ["reject", "verify"]
    assert (bad.json()["status"], bad.json()["household_status"]) == (409, "applied")
    done = await move(client, h, hid, "verify", "approve", "review", "suspend", "resume", "exit")
    assert done["status"] == "exited"
    assert done["approved_on"] == clock.today().isoformat()
    history = (await client.get(f"{BASE}/{hid}/history", headers=h)).json()
    assert [t["action"] for t in history] == [
        "apply",
        "verify",
        "approve",
        "review",
        "suspend",
        "resume",
        "exit",
    ]
    assert history[-1]["from_status"] == "approved"
    assert all(t["actor_sub"] for t in history)
    stale = await client.post(
        f"{BASE}/{hid}/transitions", json={"action": "review"}, headers={**h, "If-Match": '"1"'}
    )
    assert stale.status_code == 412


async def test_eligibility_uses_most_specific_standard(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    created = (
        await create(
            client,
            h,
            household(
                region="330521001000",
                income="1000.00",
                members=[
                    {"name": "王", "id_number": id_number("330521"), "relation": "head"},
                    {"name": "赵", "id_number": id_number("330521"), "relation": "spouse"},
                    {"name": "钱", "id_number": id_number("330521"), "relation": "child"},
                ],
            ),
        )
        if False
        else await create(
            client,
            auth("operator", region="330521"),
            household(
                region="330521001000",
                income="1000.00",
                members=[
                    {"name": "王", "id_number": id_number("330521"), "relation": "head"},
                    {"name": "赵", "id_number": id_number("330521"), "relation": "spouse"},
                    {"name": "钱", "id_number": id_number("330521"), "relation": "child"},
                ],
            ),
        )
    )
    url = f"{BASE}/{created['id']}/eligibility"
    ht = auth("viewer", region="330521")
    r = (await client.get(url, params={"on": "2023-06-01"}, headers=ht)).json()
    assert r["annual_standard"] == "12000.00"
    assert r["monthly_standard"] == "1000.00"
    assert r["per_capita_income"] == "333.33"
    assert r["eligible"] is True
    # 1,000.00 × 3 − 1,000.00 on the household, not (1,000.00 − 333.33) × 3 = 2,000.01.
    assert r["monthly_benefit"] == "2000.00"
    assert (r["household_standard"], r["members_counted"]) == ("3000.00", 3)
    admin = auth("admin", region="330521")
    s = await client.post(
        "/api/v1/standards",
        json={
            "kind": "dibao_annual",
            "region_code": "330521",
            "effective_from": "2024-01-01",
            "value": "13200",
        },
        headers=admin,
    )
    assert s.status_code == 201, s.text
    assert s.json()["value"] == "13200.00"
    dup = await client.post(
        "/api/v1/standards",
        json={"kind": "dibao_annual", "region_code": "330521", "effective_from": "2024-01-01", "value": "1"},
        headers=admin,
    )
    assert dup.status_code == 409
    before = (await client.get(url, params={"on": "2023-12-31"}, headers=ht)).json()
    after = (await client.get(url, params={"on": "2024-01-01"}, headers=ht)).json()
    assert before["monthly_standard"] == "1000.00"
    assert after["monthly_standard"] == "1100.00"
    assert after["monthly_benefit"] == "2300.00"
    assert h


async def test_payment_runs_pay_once_a_month(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330522")
    region = "330522001000"
    paid = await create(
        client,
        h,
        household(
            region=region,
            income="600.00",
            members=[
                {"name": "孙", "id_number": id_number("330522"), "relation": "head"},
                {"name": "周", "id_number": id_number("330522"), "relation": "spouse"},
            ],
        ),
    )
    rich = await create(
        client,
        h,
        household(
            region=region,
            income="5000.00",
            members=[{"name": "吴", "id_number": id_number("330522"), "relation": "head"}],
        ),
    )
    pending = await create(
        client,
        h,
        household(
            region=region,
            income="100.00",
            members=[{"name": "郑", "id_number": id_number("330522"), "relation": "head"}],
        ),
    )
    with clock.frozen(datetime(2026, 1, 10, 2, 0, tzinfo=UTC)):
        for hid in (paid["id"], rich["id"]):
            await move(client, h, hid, "verify", "approve")
    first = await client.post(
        "/api/v1/payment-runs", json={"region_code": region, "month": "2026-01"}, headers=h
    )
    assert first.status_code == 201, first.text
    run = first.json()
    assert run["payment_count"] == 1
    assert run["total"] == "1400.00"
    assert run["skipped_count"] == 1
    assert run["skipped_by_reason"] == {"not_eligible": 1}
    again = await client.post(
        "/api/v1/payment-runs", json={"region_code": region, "month": "2026-01"}, headers=h
    )
    assert again.status_code == 409
    assert (again.json()["status"], again.json()["run_id"]) == (409, run["id"])
    fetched = (await client.get(f"/api/v1/payment-runs/{run['id']}", headers=h)).json()
    assert fetched["total"] == "1400.00"
    payments = (await client.get(f"{BASE}/{paid['id']}/payments", headers=h)).json()["items"]
    assert [(p["month"], p["kind"], p["amount"]) for p in payments] == [("2026-01", "dibao", "1400.00")]
    assert (await client.get(f"{BASE}/{pending['id']}/payments", headers=h)).json()["items"] == []
    outside = await client.post(
        "/api/v1/payment-runs", json={"region_code": "330503", "month": "2026-01"}, headers=h
    )
    assert outside.status_code == 403


async def test_duplicate_registration(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    person = id_number("330502")
    first = await create(
        client,
        auth("operator", region="330502"),
        household(members=[{"name": "重", "id_number": person, "relation": "head"}]),
    )
    same_scope = await client.post(
        BASE,
        json=household(
            region="330502002000", members=[{"name": "重", "id_number": person, "relation": "head"}]
        ),
        headers=auth("operator", region="330502"),
    )
    assert same_scope.status_code == 409
    assert same_scope.json()["household_id"] == first["id"]
    other_scope = await client.post(
        BASE,
        json=household(
            region="330503001000", members=[{"name": "重", "id_number": person, "relation": "head"}]
        ),
        headers=auth("operator", region="330503"),
    )
    assert other_scope.status_code == 409
    assert other_scope.json()["case_ref"].startswith("DUP-")
    assert first["id"] not in other_scope.text
    assert person not in other_scope.text
    assert "330502" not in other_scope.text


async def test_discoveries(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330523")
    created = await create(
        client,
        h,
        household(
            region="330523001000",
            members=[
                {
                    "name": "发现甲",
                    "id_number": id_number("330523", born=date(1985, 1, 1)),
                    "relation": "head",
                    "disability_grade": 2,
                },
                {
                    "name": "发现乙",
                    "id_number": id_number("330523", born=date(1940, 1, 1)),
                    "relation": "parent",
                },
            ],
        ),
    )
    page = (
        await client.get(
            f"{BASE}/discoveries", params={"region_code": "330523001000", "limit": 500}, headers=h
        )
    ).json()
    mine = [(d["rule"], d["member_name"]) for d in page["items"] if d["household_id"] == created["id"]]
    assert ("disability_living_subsidy_missing", "发现甲") in mine
    assert ("disability_nursing_subsidy_missing", "发现甲") in mine
    assert ("elderly_assessment_missing", "发现乙") in mine
    only = (
        await client.get(
            f"{BASE}/discoveries",
            params={"rule": "disability_nursing_subsidy_missing", "limit": 500},
            headers=h,
        )
    ).json()["items"]
    assert {d["rule"] for d in only} == {"disability_nursing_subsidy_missing"}
    pages, cursor, seen = 0, None, []
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        got = (await client.get(f"{BASE}/discoveries", params=params, headers=h)).json()
        seen += [(d["member_id"], d["rule"]) for d in got["items"]]
        pages += 1
        cursor = got["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 3


def _csv(rows: list[list[str]]) -> bytes:
    header = ",".join(
        [
            "household_key",
            "region_code",
            "category",
            "monthly_income",
            "address_text",
            "name",
            "id_number",
            "relation",
            "phone",
            "disability_grade",
            "subsidies",
        ]
    )
    return ("\n".join([header, *[",".join(r) for r in rows]]) + "\n").encode()


async def test_import_reports_bad_rows_and_keeps_good_ones(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    a1, a2, b1, c1 = id_number("330502"), id_number("330502"), id_number("330502"), id_number("330502")
    bad = c1[:17] + ("0" if c1[17] != "0" else "1")
    content = _csv(
        [
            ["A", "330502003000", "dibao", "800", "爱山街道1号", "导入甲", a1, "head", "13800000001", "", ""],
            [
                "A",
                "330502003000",
                "dibao",
                "800",
                "爱山街道1号",
                "导入乙",
                a2,
                "spouse",
                "",
                "3",
                "disability_living",
            ],
            ["B", "330502003000", "tekun", "0", "", "导入丙", b1, "child", "", "", ""],
            ["C", "330502003000", "dibao", "100", "", "导入丁", bad, "head", "", "", ""],
            ["D", "330503001000", "dibao", "100", "", "导入戊", id_number("330503"), "head", "", "", ""],
        ]
    )
    r = await client.post(f"{BASE}/import", files={"file": ("people.csv", content, "text/csv")}, headers=h)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["rows"] == 5
    assert report["households_inserted"] == 1
    assert report["members_inserted"] == 2
    reasons = {x["line"]: x["reason"] for x in report["rejected"]}
    assert set(reasons) == {4, 5, 6}
    assert "head" in reasons[4]
    assert "id_number" in reasons[5]
    assert "outside your scope" in reasons[6]
    found = (await client.get(BASE, params={"id_number": a2}, headers=h)).json()["items"]
    assert found
    assert found[0]["members"][1]["disability_grade"] == 3


async def test_import_xlsx(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["户编号", "区划代码", "救助类别", "家庭月收入", "地址", "姓名", "身份证号", "与户主关系"])
    person = id_number("330502")
    sheet.append(["X1", "330502004000", "dibao_edge", 1200, "飞英街道", "表格甲", person, "head"])
    buf = io.BytesIO()
    book.save(buf)
    r = await client.post(
        f"{BASE}/import",
        files={
            "file": (
                "people.xlsx",
                buf.getvalue(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
        headers=auth("operator", region="330502"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["households_inserted"] == 1
    wrong = await client.post(
        f"{BASE}/import",
        files={"file": ("x.pdf", b"%PDF", "application/pdf")},
        headers=auth("operator", region="330502"),
    )
    assert wrong.status_code == 415


async def test_household_links_a_standard_address(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    op = auth("operator", region="330502")
    made = await client.post(
        "/api/v1/addresses",
        json={"region_code": "330502001000", "road": "人民路", "house_number": f"{id_number()[-4:]}号"},
        headers=op,
    )
    assert made.status_code == 201, made.text
    address = made.json()
    linked = await create(client, op, household(address_id=address["id"]))
    assert linked["address_id"] == address["id"]
    assert linked["address_text"] == address["full_name"]
    unknown = await client.post(
        BASE, json=household(address_id="01a2b3c4-0000-7000-8000-000000000000"), headers=op
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "address_id"]
    other_scope = await client.post(
        BASE,
        json=household(
            region="330503001000",
            address_id=address["id"],
            members=[{"name": "跨区", "id_number": id_number("330503"), "relation": "head"}],
        ),
        headers=auth("operator", region="330503"),
    )
    assert other_scope.status_code == 422


async def test_a_name_search_with_a_nul_character_is_refused(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    r = await client.get("/api/v1/recipients", params={"q": "张\x00"}, headers=auth("viewer"))
    assert r.status_code == 400
    assert "NUL" in r.json()["detail"]
