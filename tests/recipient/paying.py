"""Helpers for payment tests: standards, approvals at a chosen date, runs, payments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import httpx

from app.core.clock import clock
from tests.factories import id_number
from tests.recipient.helpers import create, household, move


def noon(day: date) -> datetime:
    """04:00 UTC, which is noon of the same day in Huzhou."""
    return datetime.combine(day, time(4, 0), tzinfo=UTC)


async def standard(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    kind: str,
    region: str,
    value: str,
    effective_from: str = "2026-01-01",
) -> None:
    r = await client.post(
        "/api/v1/standards",
        json={"kind": kind, "region_code": region, "effective_from": effective_from, "value": value},
        headers=admin,
    )
    assert r.status_code == 201, r.text


def people(region: str, n: int, born: date | None = None, **first: Any) -> list[dict[str, Any]]:
    relations = ["head", "spouse", "child", "child", "parent", "parent", "grandchild", "sibling", "other"]
    out = [
        {
            "name": f"成员{i}",
            "id_number": id_number(region[:6], born=born),
            "relation": relations[i % len(relations)],
        }
        for i in range(n)
    ]
    out[0].update(first)
    return out


async def approved(
    client: httpx.AsyncClient,
    h: dict[str, str],
    region: str,
    *,
    on: date,
    category: str = "dibao",
    income: str = "0.00",
    members: list[dict[str, Any]] | None = None,
    n: int = 1,
) -> dict[str, Any]:
    """A household applied for and approved on ``on`` (local date)."""
    with clock.frozen(noon(on)):
        created = await create(
            client,
            h,
            household(region=region, category=category, income=income, members=members or people(region, n)),
        )
        done = await move(client, h, created["id"], "verify", "approve")
    assert done["approved_on"] == on.isoformat()
    return done


async def run(client: httpx.AsyncClient, h: dict[str, str], region: str, month: str) -> httpx.Response:
    return await client.post("/api/v1/payment-runs", json={"region_code": region, "month": month}, headers=h)


async def ran(client: httpx.AsyncClient, h: dict[str, str], region: str, month: str) -> dict[str, Any]:
    r = await run(client, h, region, month)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def payments(client: httpx.AsyncClient, h: dict[str, str], household_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/recipients/{household_id}/payments", params={"limit": 500}, headers=h)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def skips(client: httpx.AsyncClient, h: dict[str, str], run_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/payment-runs/{run_id}/skips", params={"limit": 500}, headers=h)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items
