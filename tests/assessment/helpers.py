"""Item scores and request bodies for assessment tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from app.assessment.tables import GB_T_42195_2022
from tests.factories import id_number

TABLE = GB_T_42195_2022


def full_marks() -> dict[str, int]:
    return {item.code: item.max for item in TABLE.items}


def items_totalling(total: int) -> dict[str, int]:
    """Valid item scores adding up to ``total`` (points are taken off items in table order)."""
    items = full_marks()
    missing = TABLE.max_total - total
    for item in TABLE.items:
        take = min(missing, items[item.code])
        items[item.code] -= take
        missing -= take
    assert missing == 0
    return items


def comatose(total: int) -> dict[str, int]:
    """Valid item scores adding up to ``total`` (at most 88) with 意识水平 scored 0 (in a coma)."""
    items = full_marks()
    items["consciousness"] = 0
    missing = TABLE.max_total - 2 - total
    for item in TABLE.items:
        take = min(missing, items[item.code])
        items[item.code] -= take
        missing -= take
    assert missing == 0
    return items


def body(
    region: str = "330502001000",
    person: str | None = None,
    total: int = 90,
    assessed_on: date | None = None,
    name: str = "王秀英",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "region_code": region,
        "subject": {"name": name, "id_number": person or id_number(region[:6])},
        "assessed_on": (assessed_on or date.today() - timedelta(days=1)).isoformat(),
        "assessor": "评估员甲",
        "items": items_totalling(total),
        **extra,
    }


async def record(client: httpx.AsyncClient, headers: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    r = await client.post("/api/v1/assessments", json=data, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result
