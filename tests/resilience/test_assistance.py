"""Against ``python -m app serve`` in a process of its own:

- eight concurrent requests for one region's payment run on PostgreSQL: one run, seven 409s
  naming it, no 5xx;
- a day's rules at 23:30 and 00:30 UTC through the test clock (``MZ_TEST_CLOCK=true``, which
  production refuses): each request's ``X-Test-Now`` sets the instant.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from tests.factories import id_number
from tests.resilience.service import Service, leaks, serving

pytestmark = pytest.mark.slow

LATE_UTC = "2026-11-30T23:30:00+00:00"  # 07:30 on 1 December in Huzhou
EARLY_UTC = "2026-12-01T00:30:00+00:00"  # 08:30 on 1 December in Huzhou
BEFORE_MIDNIGHT = "2026-11-30T15:30:00+00:00"  # 23:30 on 30 November in Huzhou


def _household(region: str, members: list[str], income: str = "100.00") -> dict[str, Any]:
    relations = ["head", "spouse", "child"]
    return {
        "region_code": region,
        "category": "dibao",
        "monthly_income": income,
        "members": [
            {"name": f"成员{i}", "id_number": n, "relation": relations[i]} for i, n in enumerate(members)
        ],
    }


async def _approved(
    client: httpx.AsyncClient, h: dict[str, str], body: dict[str, Any], at: str
) -> dict[str, Any]:
    headers = {**h, "X-Test-Now": at}
    r = await client.post("/api/v1/recipients", json=body, headers=headers)
    assert r.status_code == 201, r.text
    hid = r.json()["id"]
    for action in ("verify", "approve"):
        moved = await client.post(
            f"/api/v1/recipients/{hid}/transitions", json={"action": action}, headers=headers
        )
        assert moved.status_code == 200, moved.text
    result: dict[str, Any] = moved.json()
    return result


async def test_eight_concurrent_runs_on_postgresql(require_pg: str, fresh_db: Callable[..., Any]) -> None:
    url = await fresh_db("postgresql")
    async with serving(url, MZ_TEST_CLOCK="true") as service:
        h = service.headers("operator", region="330502")
        async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as setup:
            houses = [
                await _approved(
                    setup, h, _household("330502001000", [id_number("330502")]), "2026-10-05T04:00:00Z"
                )
                for _ in range(6)
            ]
        clients = [httpx.AsyncClient(base_url=service.base_url, timeout=60) for _ in range(8)]
        try:
            body = {"region_code": "330502001000", "month": "2026-10"}
            answers = await asyncio.gather(
                *(c.post("/api/v1/payment-runs", json=body, headers=h) for c in clients)
            )
            overlapping = [{"region_code": "330502", "month": "2026-11"}] * 4
            overlapping += [{"region_code": "330502001000", "month": "2026-11"}] * 4
            mixed = await asyncio.gather(
                *(
                    c.post("/api/v1/payment-runs", json=b, headers=h)
                    for c, b in zip(clients, overlapping, strict=True)
                )
            )
        finally:
            for c in clients:
                await c.aclose()
        assert Counter(r.status_code for r in answers) == {201: 1, 409: 7}, [r.text for r in answers]
        assert Counter(r.status_code for r in mixed) == {201: 2, 409: 6}, [r.text for r in mixed]
        assert not any(leaks(r) for r in (*answers, *mixed))
        winner = next(r.json() for r in answers if r.status_code == 201)
        assert {r.json()["run_id"] for r in answers if r.status_code == 409} == {winner["id"]}
        async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as check:
            for house in houses:
                r = await check.get(f"/api/v1/recipients/{house['id']}/payments", headers=h)
                assert sorted(p["month"] for p in r.json()["items"]) == ["2026-10", "2026-11"]


async def _day(client: httpx.AsyncClient, service: Service, at: str, region: str) -> dict[str, Any]:
    h = {**service.headers("operator", region="330502"), "X-Test-Now": at}
    created = await client.post(
        "/api/v1/recipients", json=_household(region, [id_number("330502")]), headers=h
    )
    newborn = await client.post(
        "/api/v1/recipients",
        json=_household(region, [id_number("330502", born=date(2026, 12, 1))]),
        headers=h,
    )
    december = await client.post(
        "/api/v1/payment-runs", json={"region_code": region, "month": "2026-12"}, headers=h
    )
    return {
        "applied_on": created.json()["applied_on"],
        "newborn": newborn.status_code,
        "run_for_december": december.status_code,
    }


async def test_a_days_rules_at_2330_and_0030_utc_against_a_running_node(fresh_db: Callable[..., Any]) -> None:
    url = await fresh_db()
    async with (
        serving(url, MZ_TEST_CLOCK="true", MZ_TIMEZONE="Asia/Shanghai") as service,
        httpx.AsyncClient(base_url=service.base_url, timeout=60) as client,
    ):
        late = await _day(client, service, LATE_UTC, "330502001000")
        early = await _day(client, service, EARLY_UTC, "330502002000")
        before = await _day(client, service, BEFORE_MIDNIGHT, "330502003000")
        bad = await client.get(
            "/api/v1/recipients", headers={**service.headers("viewer"), "X-Test-Now": "yesterday"}
        )
    assert late == {"applied_on": "2026-12-01", "newborn": 201, "run_for_december": 201}
    assert early == {"applied_on": "2026-12-01", "newborn": 201, "run_for_december": 201}
    assert before == {"applied_on": "2026-11-30", "newborn": 422, "run_for_december": 422}
    assert bad.status_code == 400
    assert bad.json()["status"] == 400


def test_production_refuses_the_test_clock() -> None:
    settings = Settings(env="production", test_clock=True, _env_file=None)
    with pytest.raises(RuntimeError, match="MZ_TEST_CLOCK"):
        settings.check_production()


async def test_without_the_test_clock_the_header_changes_nothing(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = {**auth("operator", region="330502"), "X-Test-Now": "2001-01-01T00:00:00Z"}
    r = await client.post(
        "/api/v1/recipients", json=_household("330502004000", [id_number("330502")]), headers=h
    )
    assert r.status_code == 201, r.text
    assert r.json()["applied_on"] != "2001-01-01"
