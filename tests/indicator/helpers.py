"""Building indicators, targets and reports over HTTP for indicator tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import unique_suffix

BASE = "/api/v1/indicators"
CITY = "330500000000"
WUXING, NANXUN, DEQING = "330502000000", "330503000000", "330521000000"


async def define(
    client: httpx.AsyncClient, headers: dict[str, str], aggregation: str = "sum", **fields: Any
) -> dict[str, Any]:
    """A new indicator with a code unique to this run (the suite shares one database)."""
    body: dict[str, Any] = {
        "code": f"test_{aggregation}_{unique_suffix()}",
        "name_zh": "测试指标",
        "name_en": "Test indicator",
        "domain": "test",
        "unit": "items",
        "aggregation": aggregation,
        **fields,
    }
    r = await client.post(BASE, json=body, headers=headers)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def set_target(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    region: str,
    target: str,
    period: str = "2022",
) -> dict[str, Any]:
    r = await client.put(f"{BASE}/{code}/targets/{period}/{region}", json={"target": target}, headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def report(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    region: str,
    as_of: str,
    period: str = "2022",
    **figures: str,
) -> dict[str, Any]:
    body = {"region_code": region, "period": period, "as_of": as_of, **figures}
    r = await client.post(f"{BASE}/{code}/reports", json=body, headers=headers)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def find(node: dict[str, Any], region: str) -> dict[str, Any]:
    """The node of ``region`` in a progress tree."""
    if node["region_code"] == region:
        return node
    for child in node["children"]:
        try:
            return find(child, region)
        except LookupError:
            continue
    raise LookupError(region)
