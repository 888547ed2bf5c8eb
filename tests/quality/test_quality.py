"""Quality rules over live data: counts in scope, findings, scores per region."""

from __future__ import annotations

from datetime import date

import httpx

from app.quality.rules import all_rules
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household, move


def _rules(report: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["rule"]: r for r in report["rules"]}


async def test_rules_are_documented() -> None:
    for rule in all_rules().values():
        assert rule.title_zh
        assert rule.title_en
        assert rule.description
        assert rule.severity in {"error", "warning", "info"}


async def test_counts_findings_and_time_rules(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    op = auth("operator", region="330521")
    elder = id_number("330521", born=date(1940, 5, 5))
    hh = await create(
        client,
        op,
        household(region="330521002000", members=[{"name": "质量", "id_number": elder, "relation": "head"}]),
    )
    await move(client, op, hh["id"], "verify", "approve")
    viewer = auth("viewer", region="330521")
    now = _rules((await client.get("/api/v1/quality", headers=viewer)).json())
    assert now["household_without_address"]["count"] >= 1
    assert now["elderly_assessment_overdue"]["count"] >= 1
    later = _rules(
        (await client.get("/api/v1/quality", params={"as_of": "2030-01-01"}, headers=viewer)).json()
    )
    assert later["dibao_review_overdue"]["count"] >= now["dibao_review_overdue"]["count"] + 1

    pages, cursor, keys = 0, None, []
    while True:
        params: dict[str, str | int] = {
            "limit": 1,
            "as_of": "2030-01-01",
            **({"cursor": cursor} if cursor else {}),
        }
        page = (
            await client.get("/api/v1/quality/dibao_review_overdue", params=params, headers=viewer)
        ).json()
        keys += [f["key"] for f in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert hh["id"] in keys
    assert len(keys) == len(set(keys)) == later["dibao_review_overdue"]["count"]
    other = _rules((await client.get("/api/v1/quality", headers=auth("viewer", region="330522"))).json())
    assert hh["id"] not in other["household_without_address"]["sample"]
    assert (await client.get("/api/v1/quality/nope", headers=viewer)).status_code == 404


async def test_retired_region_is_flagged(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin", region="330500")
    code = "330521002299"
    r = await client.post("/api/v1/regions", json={"code": code, "name": "待撤销村"}, headers=admin)
    assert r.status_code == 201, r.text
    hh = await create(client, auth("operator", region="330521"), household(region=code))
    patched = await client.patch(
        f"/api/v1/regions/{code}",
        json={"valid_to": "2024-12-31"},
        headers={**admin, "If-Match": r.headers["etag"]},
    )
    assert patched.status_code == 200
    found = (
        await client.get(
            "/api/v1/quality/recipient_household_region_invalid",
            params={"region_code": "330521", "limit": 500},
            headers=auth("viewer", region="330521"),
        )
    ).json()["items"]
    assert hh["id"] in [f["key"] for f in found]


async def test_scores_rank_regions(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    await create(client, auth("operator", region="330523"), household(region="330523002000"))
    score = (await client.get("/api/v1/quality/score", headers=auth("viewer", region="330500"))).json()
    households = next(d for d in score["datasets"] if d["dataset"] == "recipient_household")
    anji = next(r for r in households["regions"] if r["region_code"] == "330523000000")
    assert anji["total"] >= 1
    assert 0 <= anji["score"] <= 1
    assert anji["failing"] <= anji["total"]
    ranked = [r["score"] for r in score["ranking"] if r["score"] is not None]
    assert ranked == sorted(ranked, reverse=True)
