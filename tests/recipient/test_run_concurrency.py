"""Concurrent payment runs: one wins, the others answer 409 naming it — never a 5xx, never a
household paid twice (in-process, on the suite's engine; ``tests/resilience`` repeats it against
a served process on PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

import httpx

from tests.conftest import TokenFactory
from tests.recipient.paying import approved, payments, run


async def test_eight_concurrent_requests_make_one_run(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    region = "330523106000"
    h = auth("operator", region="330523")
    houses = [await approved(client, h, region, on=date(2026, 6, 2), income="100.00", n=2) for _ in range(5)]
    answers = await asyncio.gather(*(run(client, h, region, "2026-06") for _ in range(8)))
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {201: 1, 409: 7}, [r.text for r in answers if r.status_code >= 500]
    winner = next(r.json() for r in answers if r.status_code == 201)
    assert {r.json()["run_id"] for r in answers if r.status_code == 409} == {winner["id"]}
    assert winner["payment_count"] == 5
    for house in houses:
        assert [p["amount"] for p in await payments(client, h, house["id"])] == ["1900.00"]


async def test_concurrent_runs_of_overlapping_regions_pay_each_household_once(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    township = "330523107000"
    h = auth("operator", region="330523")
    houses = [await approved(client, h, township, on=date(2026, 6, 2), income="0.00", n=1) for _ in range(4)]
    requests = [run(client, h, "330523", "2026-07") for _ in range(4)]
    requests += [run(client, h, township, "2026-07") for _ in range(4)]
    answers = await asyncio.gather(*requests)
    assert Counter(r.status_code for r in answers) == {201: 2, 409: 6}
    for house in houses:
        assert [(p["month"], p["amount"]) for p in await payments(client, h, house["id"])] == [
            ("2026-07", "1000.00")
        ]
