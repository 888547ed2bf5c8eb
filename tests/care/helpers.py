"""Building needs, resources, households and visits over HTTP for care tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx

from tests.factories import id_number

NEEDS, RESOURCES, REFERRALS, VISITS = (
    "/api/v1/needs",
    "/api/v1/resources",
    "/api/v1/referrals",
    "/api/v1/visits",
)


def noon(day: date) -> datetime:
    """Noon in Beijing on ``day``, as an aware instant for ``clock.frozen``."""
    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)


def member(
    relation: str = "head",
    born: date | None = None,
    region: str = "330502",
    name: str = "王秀英",
    **extra: Any,
) -> dict[str, Any]:
    return {"name": name, "id_number": id_number(region, born=born), "relation": relation, **extra}


async def household(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    region: str,
    members: list[dict[str, Any]],
    category: str = "dibao",
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "region_code": region,
        "category": category,
        "monthly_income": "800.00",
        "members": members,
        **extra,
    }
    r = await client.post("/api/v1/recipients", json=body, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def need(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    region: str,
    person: str | None = None,
    type: str = "medical",
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "region_code": region,
        "person": {"id_number": person or id_number(region[:6]), "name": "李桂兰"},
        "type": type,
        "description": "需要陪同就医",
        "urgency": "routine",
        "source": "self",
        **extra,
    }
    r = await client.post(NEEDS, json=body, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def resource(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    region: str,
    need_types: list[str] | None = None,
    name: str = "助医服务",
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "region_code": region,
        "name": name,
        "provider": "社工站",
        "provider_kind": "social_work_station",
        "need_types": need_types or ["medical"],
        **extra,
    }
    r = await client.post(RESOURCES, json=body, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def refer(
    client: httpx.AsyncClient, headers: dict[str, str], need_id: str, resource_id: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        REFERRALS, json={"need_id": need_id, "resource_id": resource_id, **extra}, headers=headers
    )


async def move(
    client: httpx.AsyncClient, headers: dict[str, str], referral_id: str, action: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{REFERRALS}/{referral_id}/transitions", json={"action": action, **extra}, headers=headers
    )


async def visit(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    region: str,
    person: str,
    visited_on: date,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "region_code": region,
        "person": {"id_number": person},
        "visited_on": visited_on.isoformat(),
        "visitor": "社工小陈",
        "findings": "身体尚可",
        **extra,
    }
    r = await client.post(VISITS, json=body, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result
