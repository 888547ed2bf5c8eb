"""Statistics over a region and its children, and the indicator figure (SQLite and PostgreSQL).

The suite shares one database, so every figure is checked as the difference a test's own
trusts make (2019 is a year no other test files trusts in)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from app.charity_trust import stats
from app.core.clock import clock
from app.core.db import Database
from tests.charity_trust.helpers import BASE, create, locs, ok, trust
from tests.conftest import TokenFactory

FIELDS = ("count", "filed_in_year_count", "filed_in_year_amount", "in_force_count", "in_force_amount")


def _figures(block: dict[str, Any]) -> dict[str, Decimal]:
    return {f: Decimal(str(block[f])) for f in FIELDS}


def _delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Decimal]:
    a, b = _figures(after), _figures(before)
    return {f: a[f] - b[f] for f in FIELDS}


def _child(page: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in page["by_region"] if r["region_code"] == code)
    return found


async def _stats(client: httpx.AsyncClient, h: dict[str, str], **params: Any) -> dict[str, Any]:
    r = await client.get(f"{BASE}/stats", params=params, headers=h)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def _expect(
    count: int, in_year: int, in_year_amount: str, in_force: int, in_force_amount: str
) -> dict[str, Decimal]:
    return dict(
        zip(
            FIELDS,
            (
                Decimal(count),
                Decimal(in_year),
                Decimal(in_year_amount),
                Decimal(in_force),
                Decimal(in_force_amount),
            ),
            strict=True,
        )
    )


async def test_stats_over_region_and_children(
    client: httpx.AsyncClient, auth: TokenFactory, db: Database
) -> None:
    h = auth("operator", region="330500")
    viewer = auth("viewer", region="330500")
    before_city = await _stats(client, viewer, region_code="330500", year=2019)
    before_county = await _stats(client, viewer, region_code="330521", year=2019)
    async with db.reader() as session:
        before_2020 = await stats.in_force_amount(session, "330500", date(2020, 3, 1))

    a = await create(
        client, h, trust(region="330521", signed_on="2019-03-05", filed_on="2019-03-10", amount="1000000.00")
    )
    await ok(
        client,
        h,
        a["id"],
        "changes",
        {"type": "property", "effective_on": "2019-06-01", "filed_on": "2019-06-05", "amount": "500000.00"},
    )
    await ok(
        client,
        h,
        a["id"],
        "changes",
        {"type": "property", "effective_on": "2020-02-01", "filed_on": "2020-02-20", "amount": "-200000.00"},
    )
    b = await create(
        client, h, trust(region="330521", signed_on="2019-04-28", filed_on="2019-05-01", amount="2000000.00")
    )
    await ok(
        client,
        h,
        b["id"],
        "termination",
        {"terminated_on": "2019-10-01", "reason": "目的实现", "reported_on": "2019-10-10"},
    )
    c = await create(
        client, h, trust(region="330521", signed_on="2018-12-15", filed_on="2018-12-20", amount="300000.00")
    )
    report = {
        "year": 2019,
        "income": "0",
        "expenditure": "0",
        "charitable_spending": "0",
        "fees": "0",
        "year_end_balance": "300000.00",
        "submitted_on": "2020-03-01",
    }
    await ok(client, h, c["id"], "annual-reports", report)
    await create(client, h, trust(region="330521", signed_on="2019-02-01", amount="9000000.00"))
    await create(
        client, h, trust(region="330500", signed_on="2019-06-28", filed_on="2019-07-01", amount="400000.00")
    )
    await create(
        client, h, trust(region="330521", signed_on="2020-01-02", filed_on="2020-01-05", amount="700000.00")
    )

    city = await _stats(client, viewer, region_code="330500", year=2019)
    assert (city["region_code"], city["year"], city["as_of"]) == ("330500000000", 2019, "2019-12-31")
    assert _delta(city, before_city) == _expect(4, 3, "3400000.00", 3, "2200000.00")
    assert isinstance(city["in_force_amount"], str)
    assert _delta(_child(city, "330521000000"), _child(before_city, "330521000000")) == _expect(
        3, 2, "3000000.00", 2, "1800000.00"
    )
    assert _delta(city["direct"], before_city["direct"]) == _expect(1, 1, "400000.00", 1, "400000.00")
    assert [r["region_code"] for r in city["by_region"]] == [
        "330502000000",
        "330503000000",
        "330521000000",
        "330522000000",
        "330523000000",
    ]
    assert _child(city, "330521000000")["name"] == "德清县"
    total = _figures(city)
    parts = [_figures(r) for r in [*city["by_region"], city["direct"]]]
    assert total == {f: sum((p[f] for p in parts), Decimal(0)) for f in FIELDS}
    # A and E (city level) owe their 2019 report since 1 May 2020; C has reported, B terminated.
    assert city["annual_reports_overdue"] - before_city["annual_reports_overdue"] == 2

    county = await _stats(client, viewer, region_code="330521", year=2019)
    assert _delta(county, before_county) == _expect(3, 2, "3000000.00", 2, "1800000.00")
    # Trusts are filed with the county itself: its townships hold none of them.
    assert _delta(county["direct"], before_county["direct"]) == _delta(county, before_county)
    assert len(county["by_region"]) > 5
    assert all(r["region_code"].startswith("330521") and r["count"] == 0 for r in county["by_region"])

    async with db.reader() as session:
        after_2020 = await stats.in_force_amount(session, "330500", date(2020, 3, 1))
        only_city = await stats.in_force_amount(session, "330500000000", date(2019, 7, 1))
    # A 1,300,000 (after both changes) + C 300,000 + E 400,000 + F 700,000; B ended in 2019.
    assert after_2020 - before_2020 == Decimal("2700000.00")
    assert only_city >= Decimal("400000.00")


async def test_current_year_is_as_of_today(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330522")
    today = clock.today()
    before = await _stats(client, h, region_code="330522")
    await create(
        client,
        h,
        trust(region="330522", signed_on=today.isoformat(), filed_on=today.isoformat(), amount="123.45"),
    )
    after = await _stats(client, h, region_code="330522")
    assert (after["year"], after["as_of"]) == (today.year, today.isoformat())
    assert _delta(after, before) == _expect(1, 1, "123.45", 1, "123.45")
    assert after["annual_reports_overdue"] == before["annual_reports_overdue"] == 0


async def test_stats_validation_and_scope(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("viewer", region="330502")
    own = await _stats(client, h)
    assert own["region_code"] == "330502000000"
    next_year = clock.today().year + 1
    assert locs(await client.get(f"{BASE}/stats", params={"year": next_year}, headers=h)) == [
        ["query", "year"]
    ]
    assert locs(await client.get(f"{BASE}/stats", params={"year": 1800}, headers=h)) == [["query", "year"]]
    assert locs(await client.get(f"{BASE}/stats", params={"region_code": "3305"}, headers=h)) == [
        ["query", "region_code"]
    ]
    assert locs(await client.get(f"{BASE}/stats", params={"region_code": "330502999000"}, headers=h)) == [
        ["query", "region_code"]
    ]
    assert (await client.get(f"{BASE}/stats", params={"region_code": "330503"}, headers=h)).status_code == 404
    assert (await client.get(f"{BASE}/stats", params={"region_code": "330500"}, headers=h)).status_code == 404
    assert (await client.get(f"{BASE}/stats")).status_code == 401
