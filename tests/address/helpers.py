"""Building addresses over HTTP for address tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import unique_suffix

BASE = "/api/v1/addresses"


def unique_road() -> str:
    """A road name no other test uses (digits become Chinese so the name stays a name)."""
    digits = "零一二三四五六七八九"
    return "测" + "".join(digits[int(d)] for d in unique_suffix()) + "路"


def address(region: str = "330502001000", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"region_code": region, "road": unique_road(), "house_number": "12"}
    body.update(extra)
    return body


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] | None = None
) -> dict[str, Any]:
    r = await client.post(BASE, json=body or address(), headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result
