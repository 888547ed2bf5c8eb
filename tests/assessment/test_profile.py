"""The elderly profile, and assessments feeding the recipients' discovery rules (HTTP)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from app.core.clock import clock
from tests.assessment.helpers import body, record
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household

PROFILE = "/api/v1/elderly/{}/profile"
DISCOVERIES = "/api/v1/recipients/discoveries"


async def test_profile_joins_assessments_household_and_benefits(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    person = id_number("330502", born=date(1944, 8, 9), sex="male")
    home = await create(
        client,
        h,
        household(
            members=[
                {"name": "赵建国", "id_number": id_number("330502"), "relation": "head"},
                {
                    "name": "赵老伯",
                    "id_number": person,
                    "relation": "parent",
                    "disability_grade": 2,
                    "subsidies": ["disability_nursing"],
                },
            ]
        ),
    )
    first = await record(
        client, h, body(person=person, total=70, assessed_on=date(2024, 1, 10), name="赵老伯")
    )
    amended_away = await record(
        client, h, body(person=person, total=50, assessed_on=date(2024, 9, 1), name="赵老伯")
    )
    correction = await client.post(
        f"/api/v1/assessments/{amended_away['id']}/amendments",
        json={"reason": "复核", "items": {"eating": 0}},
        headers=h,
    )
    assert correction.status_code == 201
    latest = correction.json()

    assert (
        await client.get(PROFILE.format(person), headers=auth("viewer", region="330502"))
    ).status_code == 403
    r = await client.get(
        PROFILE.format(person.lower()), headers=auth("operator", region="330502", sub="looker")
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["id_number"] == person
    assert (got["name"], got["sex"], got["birth_date"]) == ("赵老伯", "male", "1944-08-09")
    assert got["latest"]["id"] == latest["id"]
    assert [a["id"] for a in got["history"]] == [latest["id"], amended_away["id"], first["id"]]
    assert got["history"][1]["superseded_by"] == latest["id"]
    assert got["household"]["id"] == home["id"]
    assert got["benefits"] == {
        "household_category": "dibao",
        "household_status": "applied",
        "disability_grade": 2,
        "subsidies": ["disability_nursing"],
    }
    events = (
        await client.get(
            "/api/v1/audit/events",
            params={"action": "pii.reveal", "resource_type": "elderly_profile"},
            headers=auth("auditor"),
        )
    ).json()["items"]
    assert "looker" in [e["actor_sub"] for e in events]
    assert person not in str(events)


async def test_profile_scope_and_validation(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    person = id_number("330502")
    await record(client, h, body(person=person))
    other = await client.get(PROFILE.format(person), headers=auth("operator", region="330503"))
    assert other.status_code == 404
    assert person not in other.text
    nobody = await client.get(PROFILE.format(id_number("330502")), headers=h)
    assert nobody.status_code == 404
    bad = person[:17] + ("0" if person[17] != "0" else "1")
    invalid = await client.get(PROFILE.format(bad), headers=h)
    assert invalid.status_code == 422
    assert [e["loc"] for e in invalid.json()["errors"]] == [["path", "id_number"]]
    assert bad not in invalid.text


async def test_profile_without_assessment_shows_the_household(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    person = id_number("330502", born=date(1950, 1, 1))
    await create(client, h, household(members=[{"name": "钱奶奶", "id_number": person, "relation": "head"}]))
    got = (await client.get(PROFILE.format(person), headers=h)).json()
    assert (got["name"], got["latest"], got["history"]) == ("钱奶奶", None, [])
    assert got["benefits"]["subsidies"] == []


async def _rules_of(client: httpx.AsyncClient, h: dict[str, str], member_name: str) -> set[str]:
    r = await client.get(DISCOVERIES, params={"region_code": "330521", "limit": 500}, headers=h)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return {d["rule"] for d in items if d["member_name"] == member_name}


async def test_latest_assessment_feeds_discovery(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330521")
    elder = id_number("330521", born=date(1941, 3, 3))
    name = f"发现{elder[-6:]}"
    await create(
        client,
        h,
        household(
            region="330521001000",
            category="dibao",
            members=[{"name": name, "id_number": elder, "relation": "head"}],
        ),
    )
    rules = await _rules_of(client, h, name)
    assert "elderly_assessment_missing" in rules
    assert "elderly_care_missing" not in rules

    stale = await record(client, h, body("330521001000", elder, total=40, assessed_on=date(2023, 1, 5)))
    rules = await _rules_of(client, h, name)
    assert "elderly_assessment_missing" in rules
    assert "elderly_care_missing" in rules

    recent = await record(
        client, h, body("330521001000", elder, total=40, assessed_on=clock.today() - timedelta(days=3))
    )
    assert recent["level_code"] == "severe"
    assert stale["level_code"] == "severe"
    rules = await _rules_of(client, h, name)
    assert "elderly_assessment_missing" not in rules
    assert "elderly_care_missing" in rules

    # A correction to a milder level replaces the severe one for the rules.
    amended = await client.post(
        f"/api/v1/assessments/{recent['id']}/amendments",
        json={"reason": "复核", "items": {"eating": 4, "grooming": 4, "bathing": 4, "dressing_upper": 4}},
        headers=h,
    )
    assert amended.json()["level_code"] == "moderate"
    rules = await _rules_of(client, h, name)
    assert "elderly_care_missing" not in rules
    assert "elderly_assessment_missing" not in rules
