"""Forecasts: each region's value projected to the end of the period (sum linear on the
cumulative value, ratio and min carried), will_meet, shortfall, and the dashboard ordered by
projected shortfall. Figures are computed by hand: a report of 100 on 2022-07-01 (day 182 of
365) projects to 100 × 365 / 182 = 200.5495."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from app.indicator.outlook import project, shortfall
from app.indicator.period import parse_period
from app.indicator.rollup import Figure
from tests.conftest import TokenFactory
from tests.indicator.helpers import BASE, CITY, DEQING, NANXUN, WUXING, define, report, set_target

YEAR = parse_period("2022")


def test_linear_projection_runs_from_the_period_start() -> None:
    mid = project("sum", Figure(Decimal(100), on=date(2022, 7, 1)), YEAR)
    assert mid.value == Decimal(100) * 365 / 182
    first_day = project("sum", Figure(Decimal(2), on=date(2022, 1, 1)), YEAR)
    assert first_day.value == Decimal(730)
    final = project("sum", Figure(Decimal(7), on=date(2022, 12, 31)), YEAR)
    assert final.value == Decimal(7)
    after = project("sum", Figure(Decimal(7), on=date(2023, 1, 10)), YEAR)
    assert after.value == Decimal(7)
    quarter = project("sum", Figure(Decimal(30), on=date(2022, 8, 15)), parse_period("2022Q3"))
    assert quarter.value == Decimal(30) * 92 / 46


def test_other_aggregations_carry_the_last_value() -> None:
    rate = Figure(numerator=Decimal(3), denominator=Decimal(4), on=date(2022, 3, 1))
    assert project("ratio", rate, YEAR) == rate
    standard = Figure(Decimal(12000), on=date(2022, 3, 1))
    assert project("min", standard, YEAR) == standard
    assert project("none", standard, YEAR) == standard


def test_shortfall_by_comparator() -> None:
    assert shortfall("gte", Decimal(80), Decimal(100)) == 20
    assert shortfall("gte", Decimal(120), Decimal(100)) == 0
    assert shortfall("gt", Decimal(100), Decimal(100)) == 0
    assert shortfall("lte", Decimal(120), Decimal(100)) == 20
    assert shortfall("eq", Decimal(120), Decimal(100)) == 20


async def _forecast(client: httpx.AsyncClient, headers: dict[str, str], code: str, **params: str) -> Any:
    r = await client.get(f"{BASE}/{code}/forecast", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _by_region(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["region_code"]: r for r in found["regions"]}


async def test_sum_forecast_per_region(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin")
    code = (await define(client, admin, "sum"))["code"]
    for region, target in ((CITY, "600"), (WUXING, "500"), (NANXUN, "100"), (DEQING, "40")):
        await set_target(client, admin, code, region, target)
    await report(client, admin, code, WUXING, "2022-07-01", value="100")
    await report(client, admin, code, NANXUN, "2022-07-01", value="80")
    await report(client, admin, code, DEQING, "2022-12-31", value="50")

    found = await _forecast(client, auth("viewer"), code, period="2022", as_of="2022-07-01")
    assert (found["method"], found["period_end"], found["order"]) == ("linear", "2022-12-31", "tree")
    regions = _by_region(found)
    assert found["regions"][0]["region_code"] == CITY
    wuxing = regions[WUXING]
    assert (wuxing["actual"], wuxing["projected"], wuxing["will_meet"]) == ("100", "200.5495", False)
    assert (wuxing["shortfall"], wuxing["shortfall_rate"], wuxing["method"]) == (
        "299.4505",
        "0.5989",
        "linear",
    )
    assert wuxing["figure_as_of"] == "2022-07-01"
    assert (regions[NANXUN]["projected"], regions[NANXUN]["will_meet"]) == ("160.4396", True)
    assert regions[NANXUN]["shortfall"] == "0"
    # Deqing's year-end report is not yet in on 2022-07-01: nothing to project.
    assert (regions[DEQING]["projected"], regions[DEQING]["will_meet"]) == (None, None)
    # The city adds its counties' projections: 180 × 365 / 182.
    city = regions[CITY]
    assert (city["actual"], city["projected"], city["will_meet"]) == ("180", "360.989", False)
    assert city["figure_as_of"] is None

    later = _by_region(await _forecast(client, auth("viewer"), code, period="2022", as_of="2023-01-15"))
    assert (later[DEQING]["projected"], later[DEQING]["will_meet"]) == ("50", True)

    ranked = await _forecast(
        client, auth("viewer"), code, period="2022", as_of="2022-07-01", order="shortfall"
    )
    order = [r["region_code"] for r in ranked["regions"]]
    assert order[:3] == [WUXING, CITY, NANXUN]
    assert all(r["will_meet"] is None for r in ranked["regions"][3:])

    county = await _forecast(client, auth("viewer", region="330502"), code, period="2022", as_of="2022-07-01")
    assert county["regions"][0]["region_code"] == WUXING


async def test_ratio_and_lte_forecasts(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin")
    ratio = (await define(client, admin, "ratio", scale=100, unit="%"))["code"]
    await set_target(client, admin, ratio, CITY, "80")
    await report(client, admin, ratio, WUXING, "2022-03-31", numerator="30", denominator="40")
    await report(client, admin, ratio, NANXUN, "2022-03-31", numerator="9", denominator="10")
    found = await _forecast(client, auth("viewer"), ratio, period="2022", as_of="2022-06-30")
    regions = _by_region(found)
    assert found["method"] == "carried"
    assert (regions[WUXING]["projected"], regions[WUXING]["will_meet"]) == ("75", False)
    assert (regions[WUXING]["shortfall"], regions[WUXING]["shortfall_rate"]) == ("5", "0.0625")
    assert (regions[NANXUN]["projected"], regions[NANXUN]["will_meet"]) == ("90", True)
    assert (regions[CITY]["projected"], regions[CITY]["will_meet"]) == ("78", False)  # 39 / 50

    lower = (await define(client, admin, "sum", comparator="lte"))["code"]
    await set_target(client, admin, lower, WUXING, "100")
    await report(client, admin, lower, WUXING, "2022-07-01", value="60")
    capped = _by_region(await _forecast(client, auth("viewer"), lower, period="2022", as_of="2022-07-01"))
    assert (capped[WUXING]["projected"], capped[WUXING]["will_meet"]) == ("120.3297", False)
    assert capped[WUXING]["shortfall"] == "20.3297"


async def test_forecast_refusals(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    viewer = auth("viewer")
    missing = await client.get(f"{BASE}/no_such_indicator/forecast", headers=viewer)
    assert missing.status_code == 404
    bad = await client.get(
        f"{BASE}/dibao_annual_standard/forecast", params={"period": "2022Q5"}, headers=viewer
    )
    assert bad.status_code == 422
    order = await client.get(
        f"{BASE}/dibao_annual_standard/forecast", params={"order": "worst"}, headers=viewer
    )
    assert order.status_code == 422


async def test_dashboard_orders_by_projected_shortfall(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin")
    code = (await define(client, admin, "sum"))["code"]
    await set_target(client, admin, code, WUXING, "500")
    await report(client, admin, code, WUXING, "2022-07-01", value="100")
    params = {"period": "2022", "as_of": "2022-07-01", "region_code": "330502"}
    plain = await client.get(f"{BASE}/dashboard", params=params, headers=auth("viewer"))
    assert plain.json()["order"] == "lag"
    assert plain.json()["regions"] == []
    r = await client.get(f"{BASE}/dashboard", params={**params, "order": "shortfall"}, headers=auth("viewer"))
    assert r.status_code == 200, r.text
    board = r.json()
    assert board["order"] == "shortfall"
    items = {i["code"]: i for i in board["items"]}
    mine = items[code]
    assert (mine["projected"], mine["will_meet"], mine["forecast_method"]) == ("200.5495", False, "linear")
    assert mine["shortfall_rate"] == "0.5989"
    ranks = [{False: 0, True: 1, None: 2}[i["will_meet"]] for i in board["items"]]
    assert ranks == sorted(ranks)
    misses = [Decimal(i["shortfall_rate"]) for i in board["items"] if i["will_meet"] is False]
    assert misses == sorted(misses, reverse=True)
    # 吴兴区's townships, ranked by how many indicators each is projected to miss.
    regions = board["regions"]
    assert regions
    keys = [(-r["projected_misses"], -Decimal(r["shortfall_rate_sum"])) for r in regions]
    assert keys == sorted(keys)
    city = await client.get(
        f"{BASE}/dashboard",
        params={"period": "2022", "as_of": "2022-07-01", "order": "shortfall"},
        headers=auth("viewer"),
    )
    wuxing = next(r for r in city.json()["regions"] if r["region_code"] == WUXING)
    assert code in wuxing["missing"]


def test_a_computed_level_projects_its_growth_since_the_start() -> None:
    # 7,000,000 in force when the year began, 8,000,000 on 1 July: the million keeps its pace.
    grown = project("sum", Figure(Decimal(8_000_000), on=date(2022, 7, 1)), YEAR, Figure(Decimal(7_000_000)))
    assert grown.value == Decimal(7_000_000) + Decimal(1_000_000) * 365 / 182
