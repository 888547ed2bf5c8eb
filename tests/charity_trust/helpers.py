"""Building charity trusts over HTTP for charity-trust tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import unique_suffix, uscc

BASE = "/api/v1/charity-trusts"


def trust(
    region: str = "330502",
    *,
    signed_on: str = "2022-03-01",
    filed_on: str | None = None,
    amount: str = "1000000.00",
    trustors: list[dict[str, Any]] | None = None,
    trustees: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid create body; ``filed_on`` also gives it a unique filing number."""
    body: dict[str, Any] = {
        "region_code": region,
        "name": f"湖州共富慈善信托{unique_suffix()}",
        "purpose": "资助困难家庭学生完成学业",
        "purpose_categories": ["education", "poverty_relief"],
        "trustors": trustors
        if trustors is not None
        else [
            {"name": "张伟", "kind": "person", "publish_consent": False, "contact": "13812345678"},
            {"name": "湖州某实业有限公司", "kind": "organisation", "uscc": uscc("9", "1")},
        ],
        "trustees": trustees
        if trustees is not None
        else [
            {"name": "湖州市慈善总会", "uscc": uscc(), "kind": "charity_organisation", "lead": True},
            {"name": "某信托有限责任公司", "uscc": uscc("9", "1"), "kind": "trust_company"},
        ],
        "supervisor": {"name": "浙江某律师事务所", "uscc": uscc("3", "1")},
        "custodian_bank": "湖州银行",
        "property_type": "cash",
        "initial_amount": amount,
        "signed_on": signed_on,
        "term": {"perpetual": True},
    }
    if filed_on is not None:
        body["filed_on"] = filed_on
        body["filing_number"] = f"湖民慈信备〔2022〕{unique_suffix()}号"
    body.update(extra)
    return body


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] | None = None
) -> dict[str, Any]:
    r = await client.post(BASE, json=body or trust(), headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], trust_id: str, what: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"{BASE}/{trust_id}/{what}", json=body, headers=headers)


async def ok(
    client: httpx.AsyncClient, headers: dict[str, str], trust_id: str, what: str, body: dict[str, Any]
) -> dict[str, Any]:
    r = await post(client, headers, trust_id, what, body)
    assert r.status_code in {200, 201}, r.text
    result: dict[str, Any] = r.json()
    return result


def locs(response: httpx.Response) -> list[list[str | int]]:
    assert response.status_code == 422, response.text
    return [e["loc"] for e in response.json()["errors"]]
