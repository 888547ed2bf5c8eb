"""Assessments over HTTP (runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import clock
from tests.assessment.helpers import body, comatose, full_marks, record
from tests.conftest import TokenFactory
from tests.factories import id_number

BASE = "/api/v1/assessments"
YESTERDAY = clock.today() - timedelta(days=1)


def _born_years_before(day: date, years: int) -> date:
    return (
        day.replace(year=day.year - years)
        if (day.month, day.day) != (2, 29)
        else date(day.year - years, 3, 1)
    )


async def test_create_scores_on_the_server(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    person = id_number("330502", born=date(1948, 5, 6), sex="female")
    items = full_marks()
    items.update({"stairs": 1, "memory": 2, "transport": 0})
    data = body(person=person, assessed_on=date(2024, 6, 1))
    data["items"] = items
    data["conditions"] = {
        "coma": False,
        "dementia": True,
        "psychiatric_disorder": False,
        "care_risk_events_30d": 1,
    }
    r = await client.post(BASE, json=data, headers=h)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["total_score"] == 83
    assert got["dimension_scores"] == {"self_care": 32, "mobility": 13, "mental": 26, "perception_social": 12}
    assert (got["base_level"], got["level"], got["level_code"], got["level_name"]) == (
        1,
        2,
        "moderate",
        "中度失能",
    )
    assert got["adjustments_applied"] == ["mental_disorder"]
    assert got["next_due_on"] == "2025-06-01"
    assert got["standard"] == "GB/T 42195-2022"
    assert got["version"] == 1
    assert got["subject"] == {
        "name": "王秀英",
        "id_number": person[:6] + "********" + person[-4:],
        "sex": "female",
        "age": 76,
    }
    assert got["items"] == items
    assert got["amends"] is None
    assert got["superseded_by"] is None
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == f"{BASE}/{got['id']}"
    assert person not in r.text
    fetched = await client.get(r.headers["location"], headers=auth("viewer", region="330502"))
    assert fetched.status_code == 200
    assert fetched.json() == got
    assert list(fetched.json()["items"]) == list(items)
    assert list(fetched.json()["dimension_scores"]) == [
        "self_care",
        "mobility",
        "mental",
        "perception_social",
    ]
    assert fetched.headers["etag"] == '"1"'


async def test_coma_is_rated_total(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    data = {**body(conditions={"coma": True}), "items": comatose(80)}
    got = await record(client, auth("operator", region="330502"), data)
    assert (got["total_score"], got["base_level"], got["level"], got["level_code"]) == (80, 1, 4, "total")
    assert got["adjustments_applied"] == ["coma"]


async def test_coma_with_an_awake_subject_is_422_at_the_item(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    awake = await client.post(
        "/api/v1/assessments", json=body(total=80, conditions={"coma": True}), headers=h
    )
    assert awake.status_code == 422, awake.text
    assert awake.json()["status"] == 422
    assert [e["loc"] for e in awake.json()["errors"]] == [["body", "items", "consciousness"]]
    assert "coma" in awake.json()["errors"][0]["msg"]
    # An amendment that puts an awake subject in a coma is refused the same way.
    recorded = await record(client, h, body(total=80))
    amend = await client.post(
        f"/api/v1/assessments/{recorded['id']}/amendments",
        json={"reason": "昏迷漏报", "conditions": {"coma": True}},
        headers=h,
    )
    assert amend.status_code == 422, amend.text
    assert [e["loc"] for e in amend.json()["errors"]] == [["body", "items", "consciousness"]]


async def test_mental_disorder_and_care_risks_raise_one_level(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    got = await record(
        client,
        auth("operator", region="330502"),
        body(total=70, conditions={"dementia": True, "care_risk_events_30d": 3}),
    )
    assert (got["base_level"], got["level"], got["level_code"]) == (1, 2, "moderate")
    assert got["adjustments_applied"] == ["mental_disorder", "care_risk_events"]


def _without(items: dict[str, int], code: str) -> dict[str, int]:
    return {k: v for k, v in items.items() if k != code}


def _cases() -> list[tuple[str, dict[str, Any], list[str | int]]]:
    today = clock.today()
    good = id_number("330502")
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    young = id_number("330502", born=_born_years_before(YESTERDAY, 60) + timedelta(days=1))
    return [
        ("missing item", body(items=_without(full_marks(), "stairs")), ["body", "items", "stairs"]),
        ("unknown item", body(items={**full_marks(), "jumping": 2}), ["body", "items", "jumping"]),
        ("above range", body(items={**full_marks(), "stairs": 4}), ["body", "items", "stairs"]),
        ("below range", body(items={**full_marks(), "aggression": -1}), ["body", "items", "aggression"]),
        ("binary item", body(items={**full_marks(), "depression": 2}), ["body", "items", "depression"]),
        ("not an integer", body(items={**full_marks(), "eating": "4"}), ["body", "items", "eating"]),
        ("a fraction", body(items={**full_marks(), "eating": 3.5}), ["body", "items", "eating"]),
        ("under 60", body(person=young), ["body", "subject", "id_number"]),
        ("future", body(assessed_on=today + timedelta(days=1)), ["body", "assessed_on"]),
        ("before the standard", body(assessed_on=date(2022, 12, 29)), ["body", "assessed_on"]),
        ("bad ID check", body(person=bad_check), ["body", "subject", "id_number"]),
        ("bad ID date", body(person="33050219481332001X"), ["body", "subject", "id_number"]),
        ("score sent", body(total_score=90), ["body", "total_score"]),
        ("level sent", body(level=0), ["body", "level"]),
        ("unknown standard", body(standard="MZ/T 039-2013"), ["body", "standard"]),
        ("unknown region", body(region="330502999000"), ["body", "region_code"]),
        ("county region", body(region="330502000000"), ["body", "region_code"]),
        (
            "negative events",
            body(conditions={"care_risk_events_30d": -1}),
            ["body", "conditions", "care_risk_events_30d"],
        ),
        ("unknown condition", body(conditions={"stroke": True}), ["body", "conditions", "stroke"]),
        ("blank assessor", body(assessor="  "), ["body", "assessor"]),
        ("no items", {k: v for k, v in body().items() if k != "items"}, ["body", "items"]),
    ]


@pytest.mark.parametrize("case", range(len(_cases())))
async def test_every_validation_error_points_at_its_field(
    client: httpx.AsyncClient, auth: TokenFactory, case: int
) -> None:
    name, data, loc = _cases()[case]
    r = await client.post(BASE, json=data, headers=auth("operator", region="330502"))
    assert r.status_code == 422, (name, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    errors = r.json()["errors"]
    assert [e["loc"] for e in errors] == [loc], (name, errors)
    if data.get("subject"):
        assert data["subject"]["id_number"] not in r.text


async def test_all_problems_come_back_together(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    young = id_number("330502", born=date(1990, 1, 1))
    items = _without(full_marks(), "walking")
    items.update({"stairs": 9, "vision": 3, "flying": 1})
    r = await client.post(
        BASE,
        json=body(person=young, items=items, assessed_on=clock.today() + timedelta(days=3)),
        headers=auth("operator", region="330502"),
    )
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [
        ["body", "assessed_on"],
        ["body", "subject", "id_number"],
        ["body", "items", "walking"],
        ["body", "items", "stairs"],
        ["body", "items", "vision"],
        ["body", "items", "flying"],
    ]


async def test_sixty_on_the_day_is_accepted(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    day = date(2024, 6, 1)
    got = await record(
        client,
        auth("operator", region="330502"),
        body(person=id_number("330502", born=date(1964, 6, 1)), assessed_on=day),
    )
    assert got["subject"]["age"] == 60


async def test_scope_write_403_read_404(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.post(BASE, json=body(region="330503001000"), headers=auth("operator", region="330502"))
    assert r.status_code == 403
    got = await record(client, auth("operator", region="330502"), body())
    other = auth("operator", region="330503")
    assert (await client.get(f"{BASE}/{got['id']}", headers=other)).status_code == 404
    amend = await client.post(f"{BASE}/{got['id']}/amendments", json={"reason": "x"}, headers=other)
    assert amend.status_code == 404
    listed = (await client.get(BASE, params={"limit": 500}, headers=other)).json()["items"]
    assert got["id"] not in [i["id"] for i in listed]
    viewer = await client.post(BASE, json=body(), headers=auth("viewer", region="330502"))
    assert viewer.status_code == 403


async def test_idempotent_create(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = {**auth("operator", region="330502"), "Idempotency-Key": f"assess-{id_number()}"}
    data = body()
    first = await client.post(BASE, json=data, headers=h)
    again = await client.post(BASE, json=data, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotency-replayed"] == "true"
    listed = await client.get(
        BASE, params={"id_number": data["subject"]["id_number"], "count": "true"}, headers=h
    )
    assert listed.json()["total"] == 1


async def test_reveal_is_audited(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    data = body()
    got = await record(client, auth("operator", region="330502"), data)
    url = f"{BASE}/{got['id']}"
    denied = await client.get(url, params={"reveal": "true"}, headers=auth("viewer", region="330502"))
    assert denied.status_code == 403
    r = await client.get(url, params={"reveal": "true"}, headers=auth("operator", region="330502", sub="eye"))
    assert r.json()["subject"]["id_number"] == data["subject"]["id_number"]
    events = (
        await client.get(
            "/api/v1/audit/events",
            params={"action": "pii.reveal", "resource_id": got["id"]},
            headers=auth("auditor"),
        )
    ).json()["items"]
    assert [e["actor_sub"] for e in events] == ["eye"]


async def test_list_filters(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    person = id_number("330502")
    old = await record(client, h, body(person=person, total=40, assessed_on=date(2023, 3, 1)))
    new = await record(client, h, body(person=person, total=70, assessed_on=date(2024, 2, 1)))
    other = await record(client, h, body(region="330502002000", total=40, assessed_on=date(2023, 3, 2)))

    async def ids(**params: Any) -> list[str]:
        r = await client.get(BASE, params={"limit": 500, **params}, headers=h)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids(id_number=person) == [new["id"], old["id"]]
    assert await ids(id_number=person.lower(), level_code="severe") == [old["id"]]
    assert await ids(id_number=person, assessed_from="2024-01-01") == [new["id"]]
    assert await ids(id_number=person, assessed_to="2023-12-31") == [old["id"]]
    in_002 = await ids(region_code="330502002000", assessed_from="2023-03-02", assessed_to="2023-03-02")
    assert other["id"] in in_002
    assert old["id"] not in in_002
    due = await ids(due_before="2024-03-03")
    # The person's latest assessment (due 2025-02-01) decides; the older one is not listed.
    assert other["id"] in due
    assert old["id"] not in due
    assert new["id"] in await ids(due_before="2025-02-02")
    assert new["id"] not in await ids(due_before="2025-02-01")
    bad = await client.get(BASE, params={"region_code": "33x"}, headers=h)
    assert bad.status_code == 422
    level = await client.get(BASE, params={"level_code": "worst"}, headers=h)
    assert [e["loc"] for e in level.json()["errors"]] == [["query", "level_code"]]


async def test_filters_combine_into_one_query(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    """Every filter of the list narrows the same query: a combination returns the rows that meet
    all of them, unknown parameters are ignored, and paging and counting keep the filters."""
    h = auth("operator", region="330502")
    first, second = id_number("330502"), id_number("330502")
    severe = await record(
        client, h, body(region="330502001000", person=first, total=40, assessed_on=date(2023, 5, 1))
    )
    mild = await record(
        client, h, body(region="330502001000", person=first, total=70, assessed_on=date(2023, 6, 1))
    )
    elsewhere = await record(
        client, h, body(region="330502002000", person=second, total=40, assessed_on=date(2023, 5, 2))
    )
    amended = await client.post(
        f"{BASE}/{mild['id']}/amendments",
        json={"reason": "复核", "items": {"stairs": 0, "walking": 0}},
        headers={**h, "If-Match": '"1"'},
    )
    assert amended.status_code == 201, amended.text
    correction = amended.json()  # 63 points: moderate, the same day
    mine = {severe["id"], mild["id"], elsewhere["id"], correction["id"]}

    async def ids(**params: Any) -> list[str]:
        r = await client.get(BASE, params={"limit": 500, **params}, headers=h)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"] if i["id"] in mine]

    may = {"assessed_from": "2023-05-01", "assessed_to": "2023-05-31"}
    assert await ids(region_code="330502", level_code="severe", **may) == [elsewhere["id"], severe["id"]]
    assert await ids(region_code="330502001000", level_code="severe", **may) == [severe["id"]]
    assert await ids(id_number=first, region_code="330502002000") == []
    assert await ids(id_number=first, level_code="mild") == []
    assert await ids(id_number=first, level_code="mild", include_superseded="true") == [mild["id"]]
    assert await ids(id_number=first, assessed_from="2023-06-01", include_superseded="true") == [
        correction["id"],
        mild["id"],
    ]
    assert await ids(id_number=first, due_before="2024-05-02") == []  # the correction is the latest
    assert await ids(id_number=first, due_before="2024-06-02", level_code="moderate") == [correction["id"]]
    assert await ids(id_number=first, colour="blue", level="total") == [correction["id"], severe["id"]]

    page = await client.get(BASE, params={"id_number": first, "count": "true", "limit": 1}, headers=h)
    assert page.status_code == 200
    assert [i["id"] for i in page.json()["items"]] == [correction["id"]]
    assert page.json()["total"] == 2
    rest = await client.get(
        BASE, params={"id_number": first, "limit": 1, "cursor": page.json()["next_cursor"]}, headers=h
    )
    assert [i["id"] for i in rest.json()["items"]] == [severe["id"]]
    assert rest.json()["next_cursor"] is None

    bad = await client.get(
        BASE,
        params={"region_code": "330502001", "level_code": "worst", "assessed_to": "2023-02-30"},
        headers=h,
    )
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["errors"]] == [
        ["query", "region_code"],
        ["query", "level_code"],
        ["query", "assessed_to"],
    ]


async def test_amendment_creates_a_new_version(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    person = id_number("330502")
    original = await record(client, h, body(person=person, total=70))
    url = f"{BASE}/{original['id']}/amendments"
    r = await client.post(
        url,
        json={"reason": "楼梯项误录", "items": {"stairs": 0, "walking": 0}, "assessor": "评估员乙"},
        headers={**h, "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    amended = r.json()
    assert amended["id"] != original["id"]
    assert amended["amends"] == original["id"]
    assert amended["amendment_reason"] == "楼梯项误录"
    assert amended["assessor"] == "评估员乙"
    assert amended["items"]["stairs"] == 0
    assert amended["items"]["walking"] == 0
    assert amended["total_score"] == original["total_score"] - 3 - 4 == 63
    assert amended["level_code"] == "moderate"
    assert amended["assessed_on"] == original["assessed_on"]
    assert amended["subject"] == original["subject"]
    assert r.headers["location"] == f"{BASE}/{amended['id']}"

    kept = (await client.get(f"{BASE}/{original['id']}", headers=h)).json()
    assert kept["superseded_by"] == amended["id"]
    assert kept["version"] == 2
    assert kept["total_score"] == 70

    shown = (await client.get(BASE, params={"id_number": person}, headers=h)).json()["items"]
    assert [i["id"] for i in shown] == [amended["id"]]
    everything = (
        await client.get(BASE, params={"id_number": person, "include_superseded": "true"}, headers=h)
    ).json()["items"]
    assert [i["id"] for i in everything] == [amended["id"], original["id"]]

    again = await client.post(url, json={"reason": "again"}, headers=h)
    assert again.status_code == 409
    assert again.json()["superseded_by"] == amended["id"]
    stale = await client.post(
        f"{BASE}/{amended['id']}/amendments", json={"reason": "x"}, headers={**h, "If-Match": '"7"'}
    )
    assert stale.status_code == 412

    conditions = await client.post(
        f"{BASE}/{amended['id']}/amendments",
        json={"reason": "漏报照护风险", "conditions": {"care_risk_events_30d": 2}},
        headers=h,
    )
    assert conditions.status_code == 201
    assert (conditions.json()["level_code"], conditions.json()["adjustments_applied"]) == (
        "severe",
        ["care_risk_events"],
    )


async def test_amendment_validation(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    person = id_number("330502", born=date(1964, 7, 1))
    got = await record(client, h, body(person=person, assessed_on=date(2024, 7, 1)))
    url = f"{BASE}/{got['id']}/amendments"
    cases: list[tuple[dict[str, Any], list[str | int]]] = [
        ({"reason": "x", "items": {"jumping": 1}}, ["body", "items", "jumping"]),
        ({"reason": "x", "items": {"stairs": 5}}, ["body", "items", "stairs"]),
        (
            {"reason": "x", "assessed_on": (clock.today() + timedelta(days=1)).isoformat()},
            ["body", "assessed_on"],
        ),
        ({"reason": "x", "assessed_on": "2024-06-30"}, ["body", "assessed_on"]),
        ({"reason": "x", "total_score": 1}, ["body", "total_score"]),
        ({"reason": " "}, ["body", "reason"]),
        ({"items": {"stairs": 1}}, ["body", "reason"]),
    ]
    for data, loc in cases:
        r = await client.post(url, json=data, headers=h)
        assert r.status_code == 422, (data, r.text)
        assert [e["loc"] for e in r.json()["errors"]] == [loc], (data, r.json())
    assert (await client.get(f"{BASE}/{got['id']}", headers=h)).json()["superseded_by"] is None


async def test_standards_describe_the_form(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.get(f"{BASE}/standards", headers=auth("viewer"))
    assert r.status_code == 200
    (table,) = r.json()
    assert table["code"] == "GB/T 42195-2022"
    assert table["reassessment_months"] == 12
    assert len(table["items"]) == 26
    assert sum(i["max"] for i in table["items"]) == 90
    eating = table["items"][0]
    assert (eating["code"], eating["name"], eating["max"]) == ("eating", "进食", 4)
    assert [o["score"] for o in eating["options"]] == [4, 3, 2, 1, 0]
    assert [d["code"] for d in table["dimensions"]] == [
        "self_care",
        "mobility",
        "mental",
        "perception_social",
    ]
    assert [lv["name"] for lv in table["levels"]] == [
        "能力完好",
        "轻度失能",
        "中度失能",
        "重度失能",
        "完全失能",
    ]
    filtered = await client.get(f"{BASE}/standards", params={"code": "nope"}, headers=auth("viewer"))
    assert filtered.json() == []


async def _stats(client: httpx.AsyncClient, h: dict[str, str], **params: str) -> dict[str, Any]:
    r = await client.get(f"{BASE}/stats", params=params, headers=h)
    assert r.status_code == 200, r.text
    got: dict[str, Any] = r.json()
    return got


def _levels(stats: dict[str, Any], code: str | None = None) -> dict[str, int]:
    if code is None:
        return {**stats["region"]["levels"], "people": stats["region"]["people"]}
    child = next(c for c in stats["children"] if c["region_code"] == code)
    return {**child["levels"], "people": child["people"]}


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


async def test_stats_count_each_persons_latest(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    today = clock.today()
    early = (today - timedelta(days=50)).isoformat()
    before = await _stats(client, h, region_code="330502")
    before_early = await _stats(client, h, region_code="330502", as_of=early)
    a, b, c = id_number("330502"), id_number("330502"), id_number("330502")
    await record(client, h, body("330502001000", a, total=40, assessed_on=today - timedelta(days=100)))
    await record(client, h, body("330502001000", a, total=70, assessed_on=today - timedelta(days=10)))
    await record(client, h, body("330502002000", b, total=35, assessed_on=today - timedelta(days=10)))
    await record(client, h, body("330502001000", c, total=10, assessed_on=today - timedelta(days=100)))
    await record(client, h, body("330502003000", c, total=50, assessed_on=today - timedelta(days=5)))
    after = await _stats(client, h, region_code="330502")
    assert after["region"]["region_code"] == "330502000000"
    assert after["region"]["name"] == "吴兴区"
    assert _delta(_levels(after), _levels(before)) == {"mild": 1, "severe": 1, "moderate": 1, "people": 3}
    assert _delta(_levels(after, "330502001000"), _levels(before, "330502001000")) == {"mild": 1, "people": 1}
    assert _delta(_levels(after, "330502002000"), _levels(before, "330502002000")) == {
        "severe": 1,
        "people": 1,
    }
    assert _delta(_levels(after, "330502003000"), _levels(before, "330502003000")) == {
        "moderate": 1,
        "people": 1,
    }
    after_early = await _stats(client, h, region_code="330502", as_of=early)
    assert _delta(_levels(after_early), _levels(before_early)) == {"severe": 1, "total": 1, "people": 2}
    assert _delta(_levels(after_early, "330502001000"), _levels(before_early, "330502001000")) == {
        "severe": 1,
        "total": 1,
        "people": 2,
    }
    township = await _stats(client, h, region_code="330502001000")
    # Villages (other tests may add some) hold none of these people: all were assessed at
    # the township itself.
    assert all(c["people"] == 0 for c in township["children"]), township["children"]
    assert after["children"][0]["region_code"] == "330502001000"
    assert township["region"]["people"] == after["children"][0]["people"]


async def test_stats_scope(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    other = auth("viewer", region="330503")
    assert (
        await client.get(f"{BASE}/stats", params={"region_code": "330502"}, headers=other)
    ).status_code == 404
    own = await client.get(f"{BASE}/stats", headers=other)
    assert own.status_code == 200
    assert own.json()["region"]["region_code"] == "330503000000"
    unknown = await client.get(f"{BASE}/stats", params={"region_code": "330599"}, headers=auth("viewer"))
    assert unknown.status_code == 404
