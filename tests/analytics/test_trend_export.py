"""Trends (month-over-month, year-over-year), exports and SVG charts over the seeded records."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from tests.analytics.conftest import Brain
from tests.analytics.seed import NANXUN, WUXING

BASE = "/api/v1/analytics"


async def trend(brain: Brain, cube: str, status: int = 200, **params: str) -> Any:
    r = await brain.get(f"{BASE}/{cube}/trend", **params)
    assert r.status_code == status, r.text
    return r.json()


def points(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["month"]: p for p in found["points"]}


async def test_payment_amounts_month_over_month(brain: Brain) -> None:
    found = await trend(brain, "payments", measure="amount", since="2024-01", to="2024-06")
    assert (found["from"], found["to"], found["measure"]) == ("2024-01", "2024-06", "amount")
    by_month = points(found)
    assert [p["month"] for p in found["points"]] == [f"2024-0{m}" for m in range(1, 7)]
    assert [p["value"] for p in found["points"]] == ["0.00", "0.00", "2500.00", "2500.00", "0.00", "0.00"]
    assert by_month["2024-03"]["mom"] == {"base": "0.00", "change": "2500.00", "rate": None}
    assert by_month["2024-04"]["mom"] == {"base": "2500.00", "change": "0.00", "rate": 0.0}
    assert by_month["2024-05"]["mom"] == {"base": "2500.00", "change": "-2500.00", "rate": -1.0}
    assert by_month["2024-03"]["yoy"] == {"base": "0.00", "change": "2500.00", "rate": None}


async def test_household_approvals_year_over_year(brain: Brain) -> None:
    found = await trend(brain, "households", since="2024-01", to="2025-03")
    assert found["measure"] == "count"
    by_month = points(found)
    assert len(found["points"]) == 15
    assert by_month["2024-02"]["mom"] == {"base": 1, "change": 1, "rate": 1.0}
    assert by_month["2025-01"]["yoy"] == {"base": 1, "change": 0, "rate": 0.0}
    assert by_month["2025-02"]["yoy"] == {"base": 2, "change": -2, "rate": -1.0}
    assert by_month["2025-03"]["yoy"] == {"base": 0, "change": 1, "rate": None}
    county = await trend(brain, "households", region_code=NANXUN, since="2025-01", to="2025-03")
    assert [p["value"] for p in county["points"]] == [1, 0, 1]
    assert county["region_name"] == "南浔区"


async def test_means_have_no_value_in_empty_months(brain: Brain) -> None:
    found = await trend(brain, "assessments", measure="avg_score", since="2025-08", to="2025-10")
    assert [p["value"] for p in found["points"]] == [None, 40.0, None]
    assert points(found)["2025-09"]["mom"] == {"base": None, "change": None, "rate": None}


async def test_default_window_is_the_last_twelve_months(brain: Brain) -> None:
    found = await trend(brain, "assessments")
    assert (found["from"], found["to"]) == ("2025-07", "2026-06")
    assert sum(p["value"] for p in found["points"]) == 1  # P1's latest, 2025-09


async def test_trend_refusals(brain: Brain) -> None:
    no_date = await trend(brain, "addresses", status=422)
    assert no_date["errors"][0]["loc"] == ["path", "cube"]
    unknown = await trend(brain, "households", status=422, measure="amount")
    assert "amount" in unknown["errors"][0]["msg"]
    backwards = await trend(brain, "households", status=422, since="2025-01", to="2024-01")
    assert backwards["errors"][0]["loc"] == ["query", "to"]
    too_long = await trend(brain, "households", status=422, since="2000-01", to="2024-01")
    assert too_long["errors"][0]["loc"] == ["query", "from"]


async def test_csv_export_is_the_same_table(brain: Brain) -> None:
    params = {"by": "region:county,category", "measures": "count,members,benefit"}
    answer = (await brain.get(f"{BASE}/households", **params)).json()
    r = await brain.get(f"{BASE}/households", **params, format="csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert list(rows[0]) == answer["columns"]
    assert rows == [{k: str(v) for k, v in row.items()} for row in answer["rows"]]
    assert rows[0]["region:county_name"] == "吴兴区"


async def test_xlsx_export_is_the_same_table(brain: Brain) -> None:
    params = {"by": "status", "measures": "count,amount"}
    answer = (await brain.get(f"{BASE}/charity_trusts", **params)).json()
    r = await brain.get(f"{BASE}/charity_trusts", **params, format="xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(r.content))
    sheet = book.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == answer["columns"]
    assert [(s, n, Decimal(str(a))) for s, n, a in values[1:]] == [
        (row["status"], row["count"], Decimal(row["amount"])) for row in answer["rows"]
    ]
    totals = {row[0]: row[1] for row in book.worksheets[1].iter_rows(values_only=True)}
    assert totals["count"] == 4
    assert Decimal(str(totals["amount"])) == Decimal("3000000.00")


async def test_trend_and_bar_charts_are_svg_with_data(brain: Brain) -> None:
    r = await brain.get(f"{BASE}/payments/trend.svg", measure="amount", since="2024-01", to="2024-06")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    svg = r.text
    assert svg.startswith("<svg")
    assert 'data-points="6"' in svg
    assert 'data-label="2024-03" data-value="2500.00"' in svg
    assert "<script" not in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    bars = await brain.get(f"{BASE}/households/chart.svg", by="region:county", measure="count")
    assert 'data-label="吴兴区" data-value="3"' in bars.text
    assert 'data-label="南浔区" data-value="3"' in bars.text
    two = await brain.get(f"{BASE}/households/chart.svg", by="region:county,category")
    assert two.status_code == 422
    assert WUXING  # the county codes are the chart's labels' source
