"""Building households over HTTP for recipient tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import id_number


def household(
    region: str = "330502001000",
    category: str = "dibao",
    income: str = "1000.00",
    members: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    people = (
        members
        if members is not None
        else [
            {"name": "张伟", "id_number": id_number("330502"), "relation": "head", "phone": "13812345678"},
            {"name": "李娜", "id_number": id_number("330502"), "relation": "spouse"},
        ]
    )
    return {"region_code": region, "category": category, "monthly_income": income, "members": people, **extra}


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] | None = None
) -> dict[str, Any]:
    r = await client.post("/api/v1/recipients", json=body or household(), headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def move(client: httpx.AsyncClient, headers: dict[str, str], hid: str, *actions: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for action in actions:
        r = await client.post(
            f"/api/v1/recipients/{hid}/transitions",
            json={"action": action, "reason": "test"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        body = r.json()
    return body
