"""Resources over HTTP (runs on SQLite and on PostgreSQL): create, visibility up and down the
region tree, changes, retirement, CSV/XLSX import with per-line errors, masked exports."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
from openpyxl import Workbook, load_workbook

from tests.care.helpers import RESOURCES, resource
from tests.conftest import TokenFactory

TOWN = "330502009000"  # 滨湖街道
SIBLING_COUNTY = "330503000000"


async def test_create_normalises_eligibility_and_reads_back(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502")
    r = await client.post(
        RESOURCES,
        json={
            "region_code": TOWN,
            "name": "失能老人上门照护",
            "provider": "滨湖居家养老服务中心",
            "provider_kind": "social_org",
            "need_types": ["care", "meals"],
            "eligibility": {
                "categories": ["tekun", "dibao"],
                "min_age": 60,
                "assessment_levels": ["severe", 4],
                "disability": False,
            },
            "capacity": 5,
            "contact": "0572-1234567",
        },
        headers=op,
    )
    assert r.status_code == 201, r.text
    got = r.json()
    assert r.headers["location"] == f"{RESOURCES}/{got['id']}"
    assert got["eligibility"] == {
        "categories": ["dibao", "tekun"],
        "min_age": 60,
        "max_age": None,
        "assessment_levels": [3, 4],
        "disability": False,
    }
    assert (got["capacity"], got["in_use"], got["free_capacity"], got["active"]) == (5, 0, 5, True)
    assert got["provider_kind_label"] == "社会组织"
    r = await client.get(f"{RESOURCES}/{got['id']}", headers=auth("viewer", region=TOWN))
    assert r.status_code == 200
    assert r.headers["etag"] == '"1"'

    bad = {
        "region_code": TOWN,
        "name": " ",
        "provider": "x",
        "provider_kind": "church",
        "need_types": ["care", "care"],
        "eligibility": {"min_age": 80, "max_age": 60, "categories": ["rich"]},
        "capacity": 0,
    }
    r = await client.post(RESOURCES, json=bad, headers=op)
    assert r.status_code == 422
    locs = {tuple(e["loc"]) for e in r.json()["errors"]}
    assert {("body", "name"), ("body", "provider_kind"), ("body", "need_types"), ("body", "capacity")} <= locs
    r = await client.post(
        RESOURCES, json={**bad, "name": "a", "provider_kind": "volunteer", "need_types": []}, headers=op
    )
    assert r.status_code == 422
    r = await client.post(
        RESOURCES,
        json={
            "region_code": TOWN,
            "name": "a",
            "provider": "b",
            "provider_kind": "charity_trust",
            "need_types": ["medical"],
            "charity_trust_id": str(uuid.uuid4()),
        },
        headers=op,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "charity_trust_id"]


async def test_visibility_follows_the_area_served(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    city = await resource(
        client, auth("operator", region="330500"), "330500000000", ["legal"], name="市法律援助"
    )
    county = await resource(
        client, auth("operator", region="330502"), "330502000000", ["legal"], name="区法律援助"
    )
    town = await resource(client, auth("operator", region="330502"), TOWN, ["legal"], name="街道法律援助")
    elsewhere = await resource(
        client, auth("operator", region="330503"), SIBLING_COUNTY, ["legal"], name="南浔法援"
    )

    station = auth("operator", region=TOWN)
    r = await client.get(RESOURCES, params={"need_type": "legal", "limit": 500}, headers=station)
    seen = {x["id"] for x in r.json()["items"]}
    assert {city["id"], county["id"], town["id"]} <= seen
    assert elsewhere["id"] not in seen
    assert (await client.get(f"{RESOURCES}/{elsewhere['id']}", headers=station)).status_code == 404
    assert (await client.get(f"{RESOURCES}/{city['id']}", headers=station)).status_code == 200

    r = await client.get(
        RESOURCES, params={"region_code": TOWN, "need_type": "legal", "limit": 500}, headers=station
    )
    assert {x["id"] for x in r.json()["items"]} >= {town["id"]}
    assert city["id"] not in {x["id"] for x in r.json()["items"]}
    r = await client.get(
        RESOURCES,
        params={"serving": TOWN, "need_type": "legal", "limit": 500},
        headers=auth("viewer", region="330500"),
    )
    serving = {x["id"] for x in r.json()["items"]}
    assert {city["id"], county["id"], town["id"]} <= serving
    assert elsewhere["id"] not in serving

    # Seen because it serves the township, but the county's: the station may not change it.
    r = await client.patch(
        f"{RESOURCES}/{county['id']}", json={"capacity": 3}, headers={**station, "If-Match": '"1"'}
    )
    assert r.status_code == 403
    r = await client.post(
        RESOURCES,
        json={
            "region_code": "330502000000",
            "name": "a",
            "provider": "b",
            "provider_kind": "volunteer",
            "need_types": ["legal"],
        },
        headers=station,
    )
    assert r.status_code == 403


async def test_change_and_retire_with_if_match(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    op = auth("operator", region="330502")
    created = await resource(client, op, TOWN, ["meals"], capacity=10)
    url = f"{RESOURCES}/{created['id']}"
    assert (await client.patch(url, json={"capacity": 4}, headers=op)).status_code == 428
    r = await client.patch(
        url,
        json={
            "capacity": 4,
            "need_types": ["meals", "care"],
            "eligibility": {"min_age": 70},
            "active": False,
        },
        headers={**op, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["capacity"], got["need_types"], got["eligibility"]["min_age"], got["active"]) == (
        4,
        ["meals", "care"],
        70,
        False,
    )
    assert r.headers["etag"] == '"2"'
    r = await client.get(RESOURCES, params={"region_code": TOWN, "active": "false", "limit": 500}, headers=op)
    assert created["id"] in {x["id"] for x in r.json()["items"]}
    assert (await client.delete(url, headers={**op, "If-Match": '"1"'})).status_code == 412
    assert (await client.delete(url, headers={**op, "If-Match": '"2"'})).status_code == 204
    assert (await client.get(url, headers=op)).status_code == 404


async def test_import_keeps_good_rows_and_names_bad_lines(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    op = auth("operator", region="330502", sub="resource-importer")
    text = (
        "区划代码,项目名称,提供方,提供方类型,服务类型,救助类别,最低年龄,服务容量,联系方式\n"
        f"{TOWN},导入助餐点,滨湖老年食堂,社会组织,助餐|照护,dibao;tekun,60,30,0572-5550000\n"
        f"{TOWN},坏类型,某提供方,volunteer,理发,,,,\n"
        f"330503001000,越权项目,某提供方,volunteer,meals,,,,\n"
        f"{TOWN},负容量,某提供方,volunteer,meals,,,-1,\n"
        f'{TOWN},导入法援,律所,enterprise,legal,,,,=HYPERLINK("http://x")\n'
    )
    files = {"file": ("resources.csv", text.encode("utf-8"), "text/csv")}
    r = await client.post(f"{RESOURCES}/import", files=files, headers=op)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["inserted"]) == (5, 2)
    assert [x["line"] for x in report["rejected"]] == [3, 4, 5]
    assert "need_types" in report["rejected"][0]["reason"]
    assert "outside your scope" in report["rejected"][1]["reason"]
    assert "capacity" in report["rejected"][2]["reason"]
    listed = (await client.get(RESOURCES, params={"region_code": TOWN, "limit": 500}, headers=op)).json()[
        "items"
    ]
    meals = next(x for x in listed if x["name"] == "导入助餐点")
    assert (meals["need_types"], meals["provider_kind"], meals["capacity"]) == (
        ["meals", "care"],
        "social_org",
        30,
    )
    assert meals["eligibility"]["categories"] == ["dibao", "tekun"]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["region_code", "name", "provider", "provider_kind", "need_types", "assessment_levels"])
    sheet.append([TOWN, "表格导入心理疏导", "心理咨询室", "social_org", "psychological", "3,4"])
    sheet.append([TOWN, "", "心理咨询室", "social_org", "psychological", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    r = await client.post(
        f"{RESOURCES}/import", files={"file": ("r.xlsx", buffer.getvalue(), xlsx)}, headers=op
    )
    assert (r.json()["inserted"], [x["line"] for x in r.json()["rejected"]]) == (1, [3])

    # The export neutralises the formula-looking contact and keeps numbers as numbers.
    r = await client.get(f"{RESOURCES}/export", params={"region_code": TOWN, "format": "csv"}, headers=op)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    legal = next(row for row in rows if row["name"] == "导入法援")
    assert legal["contact"] == '\'=HYPERLINK("http://x")'
    r = await client.get(f"{RESOURCES}/export", params={"region_code": TOWN, "format": "xlsx"}, headers=op)
    exported = load_workbook(io.BytesIO(r.content)).worksheets[0]
    values = list(exported.iter_rows(values_only=True))
    header = list(values[0])
    legal_row = next(v for v in values[1:] if v[header.index("name")] == "导入法援")
    assert legal_row[header.index("contact")] == '\'=HYPERLINK("http://x")'
    meals_row = next(v for v in values[1:] if v[header.index("name")] == "导入助餐点")
    assert meals_row[header.index("capacity")] == 30
    assert all(cell.data_type != "f" for row in exported.iter_rows() for cell in row)

    events = (
        await client.get(
            "/api/v1/audit/events",
            params={"actor": "resource-importer", "limit": 500},
            headers=auth("auditor"),
        )
    ).json()["items"]
    actions = {e["action"] for e in events}
    assert {"care_resource.import", "care_resource.create", "care.export"} <= actions
    assert (await client.get(f"{RESOURCES}/export", headers=auth("viewer"))).status_code == 403
