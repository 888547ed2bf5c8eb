"""Progress trees and the dashboard over HTTP (runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from app.indicator import computed
from app.indicator.reference import shipped_rows
from tests.conftest import TokenFactory
from tests.indicator.helpers import BASE, CITY, DEQING, NANXUN, WUXING, define, find, report, set_target

MID_2022 = "2022-06-30"  # 181/365 of the year gone: elapsed share 0.4959


# --- progress --------------------------------------------------------------------------------


async def test_progress_rolls_a_sum_up_the_tree(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin", region="330500")
    code = (await define(client, admin))["code"]
    await set_target(client, admin, code, "330500", "100")
    await set_target(client, admin, code, "330502", "40")
    await set_target(client, admin, code, "330503", "30")
    wuxing, nanxun = auth("operator", region="330502"), auth("operator", region="330503")
    await report(client, wuxing, code, "330502", "2022-03-01", value="20")
    await report(client, wuxing, code, "330502", "2022-06-01", value="25")
    await report(client, wuxing, code, "330502", "2022-09-01", value="39")  # after the query date
    await report(client, nanxun, code, "330503", "2022-06-01", value="10")
    await report(client, admin, code, "330500", "2022-06-01", value="999")  # the children win

    params = {"period": "2022", "region_code": "330500", "as_of": MID_2022}
    r = await client.get(f"{BASE}/{code}/progress", params=params, headers=auth("viewer", region="330500"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["period"], got["as_of"], got["elapsed_share"], got["computed_by"]) == (
        "2022",
        MID_2022,
        "0.4959",
        None,
    )
    tree = got["tree"]
    assert (tree["region_code"], tree["name"], tree["level"]) == (CITY, "湖州市", "city")
    assert (tree["actual"], tree["target"], tree["children_target"]) == ("35", "100", "70")
    assert (tree["completion_rate"], tree["status"], tree["source"]) == ("0.35", "red", "children")
    assert tree["reported_children"] == 2
    assert len(tree["children"]) == 5
    assert all(child["children"] == [] for child in tree["children"])  # down to counties
    wx = find(tree, WUXING)
    assert (wx["actual"], wx["completion_rate"], wx["status"], wx["source"]) == (
        "25",
        "0.625",
        "yellow",
        "report",
    )
    assert find(tree, NANXUN)["status"] == "red"
    dq = find(tree, DEQING)
    assert (dq["actual"], dq["target"], dq["status"]) == (None, None, "grey")

    earlier = await client.get(
        f"{BASE}/{code}/progress", params={**params, "as_of": "2022-04-01"}, headers=admin
    )
    assert find(earlier.json()["tree"], WUXING)["actual"] == "20"
    late = await client.get(
        f"{BASE}/{code}/progress", params={**params, "as_of": "2022-12-31"}, headers=admin
    )
    assert late.json()["tree"]["actual"] == "49"
    assert late.json()["elapsed_share"] == "1"


async def test_progress_pools_a_ratio_and_goes_down_to_townships(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    admin = auth("admin", region="330500")
    code = (await define(client, admin, "ratio", scale=100, unit="%"))["code"]
    await set_target(client, admin, code, "330500", "50")
    op = auth("operator", region="330502")
    await report(client, op, code, "330502001000", "2022-05-01", numerator="9", denominator="10")
    await report(client, op, code, "330502002000", "2022-05-01", numerator="0", denominator="5")
    await report(
        client,
        auth("operator", region="330503"),
        code,
        "330503",
        "2022-05-01",
        numerator="1",
        denominator="85",
    )

    params = {"region_code": "330500", "as_of": MID_2022, "depth": "township"}
    r = await client.get(f"{BASE}/{code}/progress", params=params, headers=admin)
    tree = r.json()["tree"]
    wx = find(tree, WUXING)
    assert len(wx["children"]) > 2
    assert (wx["numerator"], wx["denominator"], wx["actual"]) == ("9", "15", "60")
    assert (wx["target"], wx["target_inherited"], wx["status"]) == ("50", True, "green")
    assert (tree["numerator"], tree["denominator"], tree["actual"]) == ("10", "100", "10")
    assert (tree["status"], tree["completion_rate"]) == ("red", "0.2")
    assert find(tree, "330502001000")["actual"] == "90"

    # A county operator asks without a region: its own county, down to its townships.
    r = await client.get(f"{BASE}/{code}/progress", params={"as_of": MID_2022, "period": "2022"}, headers=op)
    own = r.json()["tree"]
    assert (own["region_code"], own["actual"], own["target"]) == (WUXING, "60", "50")
    assert {c["level"] for c in own["children"]} == {"township"}


async def test_progress_and_dashboard_stay_in_scope(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    op = auth("operator", region="330502")
    for url in (f"{BASE}/cognitive_care_beds_new/progress", f"{BASE}/dashboard", f"{BASE}/dashboard.csv"):
        r = await client.get(url, params={"region_code": "330503"}, headers=op)
        assert r.status_code == 404, url
        r = await client.get(url, params={"region_code": "330500"}, headers=op)
        assert r.status_code == 404, url
    r = await client.get(f"{BASE}/dashboard", params={"region_code": "330502999000"}, headers=op)
    assert r.status_code == 404
    for period in ("2022Q7", "0800"):
        r = await client.get(f"{BASE}/dashboard", params={"period": period}, headers=op)
        assert r.status_code == 422, period
        r = await client.get(
            f"{BASE}/cognitive_care_beds_new/progress", params={"period": period}, headers=op
        )
        assert r.status_code == 422, period
    r = await client.get(f"{BASE}/no_such_code/progress", headers=op)
    assert r.status_code == 404


async def test_computed_standard_and_fallback_to_reports(
    client: httpx.AsyncClient, auth: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = auth("admin", region="330500")
    params = {"period": "2022", "region_code": "330500", "as_of": MID_2022}
    r = await client.get(f"{BASE}/dibao_annual_standard/progress", params=params, headers=admin)
    got = r.json()
    assert got["computed_by"] == "dibao_annual_standard"
    tree = got["tree"]
    assert (tree["actual"], tree["target"], tree["status"], tree["source"]) == (
        "12000",
        "12000",
        "green",
        "computed",
    )
    assert find(tree, WUXING)["source"] == "computed"
    assert find(tree, WUXING)["target_inherited"] is True
    before = await client.get(
        f"{BASE}/dibao_annual_standard/progress",
        params={**params, "as_of": "2021-06-30", "period": "2021"},
        headers=admin,
    )
    assert before.json()["tree"]["status"] == "grey"  # no standard in force, no 2021 target

    # A definition computed by a computation this node lacks falls back to reports.
    code = (await define(client, admin, "min", computed_by="dibao_annual_standard"))["code"]
    await set_target(client, admin, code, "330500", "12000")
    monkeypatch.delitem(computed.COMPUTATIONS, "dibao_annual_standard")
    await report(client, auth("operator", region="330502"), code, "330502", "2022-05-01", value="11500")
    r = await client.get(f"{BASE}/{code}/progress", params=params, headers=admin)
    got = r.json()
    assert got["computed_by"] is None
    assert (got["tree"]["actual"], got["tree"]["status"]) == ("11500", "red")
    assert find(got["tree"], WUXING)["source"] == "report"


# --- dashboard -------------------------------------------------------------------------------


async def _board(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    r = await client.get(f"{BASE}/dashboard", params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_dashboard_lists_every_indicator_most_lagging_first(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    admin = auth("admin", region="330500")
    lagging = (await define(client, admin))["code"]
    await set_target(client, admin, lagging, "330500", "1000")
    await report(client, auth("operator", region="330521"), lagging, "330521", "2022-06-01", value="1")

    board = await _board(client, admin, period="2022", region_code="330500", as_of=MID_2022)
    assert (board["region_code"], board["name"], board["elapsed_share"]) == (CITY, "湖州市", "0.4959")
    items = {i["code"]: i for i in board["items"]}
    assert {row["code"] for row in shipped_rows()} <= set(items)
    assert sum(board["counts"].values()) == len(board["items"])
    for status in ("green", "yellow", "red", "grey"):
        assert board["counts"][status] == sum(1 for i in board["items"] if i["status"] == status)
    rank = {"red": 0, "yellow": 1, "grey": 2, "green": 3}
    ranks = [rank[i["status"]] for i in board["items"]]
    assert ranks == sorted(ranks)
    assert (items[lagging]["actual"], items[lagging]["completion_rate"], items[lagging]["status"]) == (
        "1",
        "0.001",
        "red",
    )
    reds = [i for i in board["items"] if i["status"] == "red" and i["completion_rate"] is not None]
    assert [float(i["completion_rate"]) for i in reds] == sorted(float(i["completion_rate"]) for i in reds)
    dibao = items["dibao_annual_standard"]
    assert (dibao["actual"], dibao["target"], dibao["status"], dibao["children"]) == (
        "12000",
        "12000",
        "green",
        5,
    )

    county = await _board(client, auth("viewer", region="330521"), period="2022", as_of=MID_2022)
    assert county["region_code"] == DEQING
    assert county["items"][0]["children"] > 0  # a county's dashboard rolls up its townships
    assert {i["code"]: i for i in county["items"]}[lagging]["actual"] == "1"


async def test_dashboard_downloads(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("viewer", region="330500")
    params = {"period": "2022", "region_code": "330500", "as_of": MID_2022}
    board = await _board(client, h, **params)

    r = await client.get(f"{BASE}/dashboard.xlsx", params=params, headers=h)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert (
        r.headers["content-disposition"] == f'attachment; filename="indicators-{CITY}-2022-{MID_2022}.xlsx"'
    )
    book = load_workbook(io.BytesIO(r.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:2] == ("指标编码", "指标名称")
    assert [row[0] for row in rows[1:]] == [i["code"] for i in board["items"]]
    dibao = next(row for row in rows if row[0] == "dibao_annual_standard")
    assert (dibao[5], dibao[6], dibao[9]) == (12000, 12000, "green")

    r = await client.get(f"{BASE}/dashboard.csv", params=params, headers=h)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].endswith('.csv"')
    assert r.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][0] == "指标编码"
    assert len(table) == len(board["items"]) + 1
    row = next(line for line in table if line[0] == "dibao_annual_standard")
    assert (row[1], row[7], row[8]) == ("最低生活保障年标准", "100.00%", "达标")
