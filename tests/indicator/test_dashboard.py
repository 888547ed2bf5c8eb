"""The dashboard's lines against the progress tree and the forecast of the same indicators, for
every depth and order (runs on SQLite and on PostgreSQL).

The dashboard rolls up only the lines it shows; the progress tree and the forecast roll up every
region. Each item must read exactly as the root of the progress tree and of the forecast, and
with ``order=shortfall`` each child region must list exactly the indicators its forecast says
will miss.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.indicator.schemas import Dashboard
from tests.conftest import TokenFactory
from tests.indicator.helpers import BASE, DEQING, NANXUN, WUXING, define, report, set_target

AS_OF = "2022-08-15"
DEPTHS = (None, "county", "township", "village")
WX1, WX2, NX1 = "330502001000", "330502002000", "330503001000"


async def _indicators(client: httpx.AsyncClient, auth: TokenFactory) -> list[str]:
    """Indicators of every aggregation with figures at every level, some regions silent."""
    admin = auth("admin", region="330500")
    wx, nx, dq = (auth("operator", region=r) for r in ("330502", "330503", "330521"))
    codes = []

    total = (await define(client, admin, "sum"))["code"]
    await set_target(client, admin, total, "330500", "400")
    await set_target(client, admin, total, WUXING, "150")
    await report(client, wx, total, WX1, "2022-03-31", value="12.5")
    await report(client, wx, total, WX1, "2022-07-31", value="40")
    await report(client, wx, total, WX2, "2022-08-10", value="7")
    await report(client, wx, total, WUXING, "2022-08-01", value="90")
    await report(client, nx, total, NANXUN, "2022-05-20", value="33.333333")
    await report(client, admin, total, "330500", "2022-08-01", value="500")
    codes.append(total)

    rate = (await define(client, admin, "ratio", scale=100, unit="%"))["code"]
    await set_target(client, admin, rate, "330500", "75")
    await set_target(client, admin, rate, NANXUN, "80")
    await report(client, wx, rate, WX1, "2022-06-01", numerator="9", denominator="13")
    await report(client, wx, rate, WX2, "2022-06-01", numerator="0", denominator="0")
    await report(client, wx, rate, WUXING, "2022-06-01", numerator="30", denominator="31")
    await report(client, nx, rate, NX1, "2022-07-01", numerator="2", denominator="3")
    await report(client, dq, rate, DEQING, "2022-07-01", numerator="70", denominator="90")
    codes.append(rate)

    lowest = (await define(client, admin, "min", unit="yuan"))["code"]
    await set_target(client, admin, lowest, "330500", "12000")
    await report(client, wx, lowest, WX1, "2022-02-01", value="11800")
    await report(client, wx, lowest, WUXING, "2022-02-01", value="12500.5")
    await report(client, nx, lowest, NANXUN, "2022-02-01", value="13000")
    codes.append(lowest)

    fewer = (await define(client, admin, "sum", comparator="lte"))["code"]
    await set_target(client, admin, fewer, "330500", "20")
    await report(client, nx, fewer, NX1, "2022-04-30", value="6")
    await report(client, dq, fewer, DEQING, "2022-08-15", value="9")
    codes.append(fewer)

    exact = (await define(client, admin, "none", comparator="eq"))["code"]
    await set_target(client, admin, exact, "330500", "3")
    await report(client, admin, exact, "330500", "2022-01-31", value="3")
    await report(client, wx, exact, WUXING, "2022-01-31", value="2")
    codes.append(exact)

    await define(client, admin, "sum")  # no target, no report: a grey line
    return codes


def _line(node: dict[str, Any], forecast: dict[str, Any]) -> dict[str, Any]:
    """A dashboard item's figures as the progress tree's root and the forecast's root give them."""
    return {
        "target": node["target"],
        "actual": node["actual"],
        "completion_rate": node["completion_rate"],
        "status": node["status"],
        "source": node["source"],
        "reported_children": node["reported_children"],
        "children": len(node["children"]),
        "projected": forecast["projected"],
        "will_meet": forecast["will_meet"],
        "shortfall": forecast["shortfall"],
        "shortfall_rate": forecast["shortfall_rate"],
        "forecast_method": forecast["method"],
    }


def _rendered_by_fastapi(body: bytes) -> bytes:
    """The bytes FastAPI writes for the dashboard validated as its response model (the route
    serialises the model it built straight to JSON instead)."""
    document = Dashboard.model_validate_json(body).model_dump(mode="json")
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("region", ["330500", "330502"])
async def test_dashboard_lines_are_the_roots_of_progress_and_forecast(
    client: httpx.AsyncClient, auth: TokenFactory, region: str
) -> None:
    codes = await _indicators(client, auth)
    viewer = auth("viewer", region="330500")
    for depth in DEPTHS:
        params = {"period": "2022", "as_of": AS_OF, "region_code": region}
        if depth is not None:
            params["depth"] = depth
        expected: dict[str, dict[str, Any]] = {}
        misses: dict[str, set[str]] = {}
        for code in codes:
            progress = await client.get(f"{BASE}/{code}/progress", params=params, headers=viewer)
            forecast = await client.get(f"{BASE}/{code}/forecast", params=params, headers=viewer)
            assert progress.status_code == forecast.status_code == 200, (progress.text, forecast.text)
            tree, regions = progress.json()["tree"], forecast.json()["regions"]
            expected[code] = _line(tree, regions[0])
            for child in regions:
                if child["parent_code"] == tree["region_code"] and child["will_meet"] is False:
                    misses.setdefault(child["region_code"], set()).add(code)
        for order in ("lag", "shortfall"):
            r = await client.get(f"{BASE}/dashboard", params={**params, "order": order}, headers=viewer)
            assert r.status_code == 200, r.text
            assert r.content == _rendered_by_fastapi(r.content)
            board = r.json()
            items = {item["code"]: item for item in board["items"]}
            for code in codes:
                shown = {key: items[code][key] for key in expected[code]}
                assert shown == expected[code], (depth, order, code)
            if order == "lag":
                assert board["regions"] == []
                continue
            ranked = {r["region_code"]: set(r["missing"]) & set(codes) for r in board["regions"]}
            assert len(ranked) == expected[codes[0]]["children"]
            assert ranked == {child: misses.get(child, set()) for child in ranked}, depth


async def test_the_latest_report_counts_and_the_last_written_wins_a_tie(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    admin, op = auth("admin", region="330500"), auth("operator", region="330503")
    code = (await define(client, admin, "sum"))["code"]
    await set_target(client, admin, code, NANXUN, "100")
    await report(client, op, code, NANXUN, "2022-03-31", value="1")
    await report(client, op, code, NANXUN, "2022-06-30", value="5")
    await report(client, op, code, NANXUN, "2022-06-30", value="7")
    await report(client, op, code, NANXUN, "2022-08-20", value="9")
    await report(client, op, code, NANXUN, "2022-06-30", period="2022Q2", value="11")
    viewer = auth("viewer", region="330500")
    for as_of, period, actual in (
        ("2022-03-30", "2022", None),
        ("2022-06-29", "2022", "1"),
        ("2022-06-30", "2022", "7"),
        ("2022-08-19", "2022", "7"),
        ("2022-12-31", "2022", "9"),
        ("2022-06-30", "2022Q2", "11"),
    ):
        params = {"period": period, "as_of": as_of, "region_code": "330503"}
        r = await client.get(f"{BASE}/dashboard", params=params, headers=viewer)
        item = next(i for i in r.json()["items"] if i["code"] == code)
        assert item["actual"] == actual, (as_of, period)
