"""Definitions, targets and reports over HTTP (runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from app.core.clock import clock
from app.core.config import Settings
from app.core.db import Database
from app.indicator.reference import shipped_indicator_id, shipped_rows, shipped_target_id
from app.ledger.unit_of_work import SHIPPED_ORIGIN
from app.reference import load_reference
from tests.assessment.helpers import body as assessment_body
from tests.assessment.helpers import record
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.indicator.helpers import BASE, CITY, NANXUN, WUXING, define, report, set_target

# --- definitions -----------------------------------------------------------------------------


async def test_the_plan_indicators_ship_with_their_targets(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("viewer", region="330502")
    r = await client.get(BASE, params={"limit": 500}, headers=h)
    assert r.status_code == 200, r.text
    codes = {i["code"] for i in r.json()["items"]}
    shipped = {row["code"] for row in shipped_rows()}
    # The 32 targets of the 2022 plan, and two indicators of the care loop (visit coverage,
    # referral closure rate).
    assert len(shipped) == 34
    assert shipped <= codes

    r = await client.get(f"{BASE}/elderly_canteen_township_coverage", headers=h)
    assert r.status_code == 200
    got = r.json()
    assert (got["aggregation"], got["scale"], got["comparator"], got["source_clause"]) == (
        "ratio",
        100,
        "gte",
        "7",
    )
    assert got["region_code"] == CITY
    assert r.headers["etag"] == f'"{got["version"]}"'

    dibao = (await client.get(f"{BASE}/dibao_annual_standard", headers=h)).json()
    assert (dibao["computed_by"], dibao["computed"]) == ("dibao_annual_standard", True)
    trusts = (await client.get(f"{BASE}/charity_trust_scale", headers=h)).json()
    assert trusts["computed_by"] == "charity_trust_scale"
    assert trusts["computed"] is True

    r = await client.get(f"{BASE}/cognitive_care_beds_new/targets", params={"period": "2022"}, headers=h)
    city = next(t for t in r.json()["items"] if t["region_code"] == CITY)
    assert (city["target"], city["region_name"]) == ("500", "湖州市")

    r = await client.get(BASE, params={"aggregation": "min", "domain": "children"}, headers=h)
    assert [i["code"] for i in r.json()["items"]] == ["orphan_care_standard"]


async def test_admin_defines_and_changes_indicators(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin", region="330500")
    created = await define(client, admin, "ratio", scale=100, source_clause="24")
    code = created["code"]
    assert created["version"] == 1
    assert created["region_code"] == CITY  # the node's region
    assert created["computed"] is False

    r = await client.post(BASE, json={**_body(created), "code": code}, headers=admin)
    assert r.status_code == 409

    r = await client.patch(f"{BASE}/{code}", json={"unit": "%"}, headers=admin)
    assert r.status_code == 428
    r = await client.patch(f"{BASE}/{code}", json={"unit": "%"}, headers={**admin, "If-Match": '"7"'})
    assert r.status_code == 412
    r = await client.patch(
        f"{BASE}/{code}", json={"unit": "%", "comparator": "lte"}, headers={**admin, "If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["unit"], r.json()["comparator"], r.json()["version"]) == ("%", "lte", 2)
    assert r.headers["etag"] == '"2"'

    patch_cases: list[tuple[dict[str, Any], list[str | int]]] = [
        ({"aggregation": "sum"}, ["body", "aggregation"]),
        ({"unit": None}, ["body", "unit"]),
        ({"computed_by": "no_such_computation"}, ["body", "computed_by"]),
        ({"comparator": "ne"}, ["body", "comparator"]),
    ]
    for body, loc in patch_cases:
        r = await client.patch(f"{BASE}/{code}", json=body, headers={**admin, "If-Match": '"2"'})
        assert r.status_code == 422, (body, r.text)
        assert loc in [e["loc"] for e in r.json()["errors"]], r.json()

    r = await client.patch(
        f"{BASE}/{code}", json={"computed_by": "dibao_annual_standard"}, headers={**admin, "If-Match": '"2"'}
    )
    assert r.json()["computed"] is True
    county_admin = {**auth("admin", region="330502"), "If-Match": '"3"'}
    r = await client.patch(f"{BASE}/{code}", json={"unit": "个"}, headers=county_admin)
    assert r.status_code == 403  # the city owns the definition
    r = await client.patch(f"{BASE}/{code}", json={"computed_by": None}, headers={**admin, "If-Match": '"3"'})
    assert (r.json()["computed_by"], r.json()["computed"]) == (None, False)


async def test_definition_validation_and_permissions(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin", region="330500")
    good = {"code": "test_valid_one", "name_zh": "甲", "domain": "test", "unit": "个", "aggregation": "sum"}
    cases: list[tuple[dict[str, Any], list[str | int]]] = [
        ({**good, "code": "Bad-Code"}, ["body", "code"]),
        ({**good, "code": "dashboard"}, ["body", "code"]),
        ({**good, "aggregation": "avg"}, ["body", "aggregation"]),
        ({**good, "scale": 0}, ["body", "scale"]),
        ({**good, "name_zh": "  "}, ["body", "name_zh"]),
        ({**good, "computed_by": "unknown_thing"}, ["body", "computed_by"]),
        ({**good, "extra": 1}, ["body", "extra"]),
    ]
    for body, loc in cases:
        r = await client.post(BASE, json=body, headers=admin)
        assert r.status_code == 422, (loc, r.text)
        assert loc in [e["loc"] for e in r.json()["errors"]], (loc, r.json())

    r = await client.post(BASE, json=good, headers=auth("operator", region="330500"))
    assert r.status_code == 403
    r = await client.post(BASE, json=good, headers=auth("admin", region="330502"))
    assert r.status_code == 403  # the node (330500) lies outside a county admin's scope
    r = await client.get(f"{BASE}/no_such_indicator", headers=admin)
    assert r.status_code == 404
    r = await client.get(BASE)
    assert r.status_code == 401


async def test_create_is_idempotent(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin", region="330500")
    body = {
        "code": "test_idempotent_def",
        "name_zh": "幂等",
        "domain": "test",
        "unit": "个",
        "aggregation": "sum",
    }
    headers = {**admin, "Idempotency-Key": "indicator-create-once"}
    first = await client.post(BASE, json=body, headers=headers)
    again = await client.post(BASE, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotency-replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]


def _body(indicator: dict[str, Any]) -> dict[str, Any]:
    keys = ("code", "name_zh", "name_en", "domain", "unit", "aggregation", "scale", "comparator")
    return {k: indicator[k] for k in keys}


# --- targets ---------------------------------------------------------------------------------


async def test_targets_are_set_replaced_and_summed_beside_the_parent(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    admin = auth("admin", region="330500")
    code = (await define(client, admin))["code"]
    city = await set_target(client, admin, code, "330500", "100")
    assert (city["region_code"], city["target"], city["version"]) == (CITY, "100", 1)
    await set_target(client, admin, code, WUXING, "40.50")
    await set_target(client, admin, code, NANXUN, "30")
    await set_target(client, admin, code, "330502001000", "7")  # a grandchild: not the city's child

    url = f"{BASE}/{code}/targets/2022/{WUXING}"
    r = await client.put(url, json={"target": "45"}, headers=admin)
    assert r.status_code == 428
    r = await client.put(url, json={"target": "45"}, headers={**admin, "If-Match": '"3"'})
    assert r.status_code == 412
    r = await client.put(url, json={"target": "45"}, headers={**admin, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert (r.json()["target"], r.json()["version"]) == ("45", 2)
    assert r.json()["children_target_sum"] == "7"
    r = await client.put(
        f"{BASE}/{code}/targets/2023/{WUXING}", json={"target": "1"}, headers={**admin, "If-Match": '"1"'}
    )
    assert r.status_code == 412  # nothing to match yet

    r = await client.get(f"{BASE}/{code}/targets", params={"period": "2022"}, headers=admin)
    assert r.status_code == 200
    by_region = {t["region_code"]: t for t in r.json()["items"]}
    assert by_region[CITY]["children_target_sum"] == "75"
    assert by_region[CITY]["children_with_target"] == 2
    assert by_region[NANXUN]["children_target_sum"] is None

    # A county viewer sees its own target and the city's, but no sum over counties it cannot see.
    r = await client.get(
        f"{BASE}/{code}/targets", params={"period": "2022"}, headers=auth("viewer", region="330503")
    )
    seen = {t["region_code"]: t for t in r.json()["items"]}
    assert set(seen) == {CITY, NANXUN}
    assert seen[CITY]["children_target_sum"] is None


async def test_target_writes_are_checked(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin", region="330500")
    code = (await define(client, admin))["code"]
    cases = [
        (f"{BASE}/{code}/targets/2022/330502999000", {"target": "1"}, ["path", "region_code"]),
        (f"{BASE}/{code}/targets/2022/330000", {"target": "1"}, None),
        (f"{BASE}/{code}/targets/2022/330502", {"target": 1.5}, ["body", "target"]),
        (f"{BASE}/{code}/targets/2022/330502", {"target": "-3"}, ["body", "target"]),
        (f"{BASE}/{code}/targets/22/330502", {"target": "1"}, ["path", "period"]),
        (f"{BASE}/{code}/targets/0800/330502", {"target": "1"}, ["path", "period"]),
    ]
    for url, body, loc in cases:
        r = await client.put(url, json=body, headers=admin)
        if loc is None:
            assert r.status_code == 403, r.text  # the province lies outside a city admin's scope
            continue
        assert r.status_code == 422, (url, r.text)
        assert loc in [e["loc"] for e in r.json()["errors"]], (loc, r.json())

    r = await client.put(
        f"{BASE}/{code}/targets/2022/330503", json={"target": "1"}, headers=auth("admin", region="330502")
    )
    assert r.status_code == 403
    r = await client.put(
        f"{BASE}/{code}/targets/2022/330502", json={"target": "1"}, headers=auth("operator", region="330502")
    )
    assert r.status_code == 403
    r = await client.put(f"{BASE}/no_such_code/targets/2022/330502", json={"target": "1"}, headers=admin)
    assert r.status_code == 404


# --- reports ---------------------------------------------------------------------------------


async def test_reports_keep_history_and_check_their_figures(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    admin = auth("admin", region="330500")
    op = auth("operator", region="330502")
    total = (await define(client, admin))["code"]
    share = (await define(client, admin, "ratio", scale=100))["code"]

    first = await report(client, op, total, "330502", "2022-03-31", value="12")
    assert (first["region_code"], first["value"], first["numerator"]) == (WUXING, "12", None)
    await report(client, op, total, "330502001000", "2022-04-30", value="2.50")
    r = await client.get(f"{BASE}/{total}/reports", params={"region_code": "330502"}, headers=op)
    assert [x["value"] for x in r.json()["items"]] == ["12"]
    r = await client.get(f"{BASE}/{total}/reports", headers=op)
    assert [x["value"] for x in r.json()["items"]] == ["2.5", "12"]  # newest as_of first

    ratio = await report(client, op, share, "330502", "2022-03-31", numerator="3", denominator="4.0")
    assert (ratio["numerator"], ratio["denominator"], ratio["value"]) == ("3", "4", None)

    cases: list[tuple[str, dict[str, Any], list[str | int]]] = [
        (share, {"value": "75"}, ["body", "value"]),
        (share, {"value": "75"}, ["body", "numerator"]),
        (share, {"numerator": "1"}, ["body", "denominator"]),
        (share, {"numerator": "1", "denominator": "0"}, ["body", "denominator"]),
        (total, {"numerator": "1", "denominator": "2"}, ["body", "value"]),
        (total, {"value": "1", "numerator": "1"}, ["body", "numerator"]),
        (total, {"value": 1.5}, ["body", "value"]),
        (total, {"value": "1", "as_of": "2021-12-31"}, ["body", "as_of"]),
        (total, {"value": "1", "as_of": "2999-01-01"}, ["body", "as_of"]),
        (total, {"value": "1", "period": "2022Q9"}, ["body", "period"]),
        (total, {"value": "1", "period": "0800"}, ["body", "period"]),
        (total, {"value": "1", "region_code": "330502999000"}, ["body", "region_code"]),
    ]
    for code, figures, loc in cases:
        body = {"region_code": "330502", "period": "2022", "as_of": "2022-05-01", **figures}
        r = await client.post(f"{BASE}/{code}/reports", json=body, headers=op)
        assert r.status_code == 422, (figures, r.text)
        assert loc in [e["loc"] for e in r.json()["errors"]], (loc, r.json())

    body = {"region_code": "330503", "period": "2022", "as_of": "2022-05-01", "value": "1"}
    assert (await client.post(f"{BASE}/{total}/reports", json=body, headers=op)).status_code == 403
    viewer = auth("viewer", region="330502")
    body["region_code"] = "330502"
    assert (await client.post(f"{BASE}/{total}/reports", json=body, headers=viewer)).status_code == 403
    # Reports are business records: an operator writes them, an admin reads them.
    r = await client.get(f"{BASE}/{total}/reports", params={"region_code": "330503"}, headers=op)
    assert r.json()["items"] == []


async def test_reports_are_idempotent(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    code = (await define(client, auth("admin", region="330500")))["code"]
    headers = {**auth("operator", region="330503"), "Idempotency-Key": f"report-{code}"}
    body = {"region_code": "330503", "period": "2022", "as_of": "2022-05-01", "value": "4"}
    first = await client.post(f"{BASE}/{code}/reports", json=body, headers=headers)
    again = await client.post(f"{BASE}/{code}/reports", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    r = await client.get(f"{BASE}/{code}/reports", headers=headers)
    assert len(r.json()["items"]) == 1


async def test_computed_indicators_take_no_reports(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    body = {"region_code": "330502", "period": "2022", "as_of": "2022-05-01", "value": "13000"}
    r = await client.post(
        f"{BASE}/dibao_annual_standard/reports", json=body, headers=auth("operator", region="330502")
    )
    assert r.status_code == 409
    assert r.json()["computed_by"] == "dibao_annual_standard"


async def test_shipped_rows_load_once_with_stable_ids(
    client: httpx.AsyncClient, auth: TokenFactory, db: Database, settings: Settings
) -> None:
    assert (await load_reference(db, settings))["indicators"] == 0
    got = (await client.get(f"{BASE}/orphan_care_standard", headers=auth("viewer"))).json()
    assert got["id"] == str(shipped_indicator_id("orphan_care_standard"))
    assert got["origin"] in {SHIPPED_ORIGIN, "330500000000"}
    r = await client.get(f"{BASE}/orphan_care_standard/targets", headers=auth("viewer"))
    city = next(t for t in r.json()["items"] if t["region_code"] == CITY and t["period"] == "2022")
    assert (city["id"], city["target"]) == (
        str(shipped_target_id("orphan_care_standard", "2022", CITY)),
        "25000",
    )


async def test_computed_share_of_current_assessments(client: httpx.AsyncClient, auth: TokenFactory) -> None:

    admin = auth("admin", region="330500")
    code = f"elderly_current_{id_number()[-7:-1]}"
    definition = {
        "code": code,
        "name_zh": "能力评估在有效期内的老年人比例",
        "name_en": "Elderly with a current assessment",
        "domain": "elderly",
        "unit": "%",
        "aggregation": "ratio",
        "scale": 100,
        "comparator": "gte",
        "computed_by": "elderly_assessment_current_share",
    }
    r = await client.post(BASE, json=definition, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["computed"] is True
    await record(client, auth("operator", region="330522"), assessment_body(region="330522001000"))
    progress = await client.get(
        f"{BASE}/{code}/progress",
        params={"period": str(clock.today().year), "region_code": "330522"},
        headers=auth("viewer", region="330500"),
    )
    assert progress.status_code == 200, progress.text
    assert Decimal(progress.json()["tree"]["actual"]) > 0
