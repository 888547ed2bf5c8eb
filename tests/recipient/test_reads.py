"""Household reads (GET by id, the list) answer the very bytes the response models give, on
both engines: the same fields in the same order, masks, money strings, ages and JSON types,
the same members (live ones, in id order) whether read one by one or by page."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from pydantic import TypeAdapter

from app.core.pagination import Page
from app.recipient.schemas import HouseholdRead
from app.security.pii import mask_id_number
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household

BASE = "/api/v1/recipients"
ONE = TypeAdapter(HouseholdRead)
PAGE = TypeAdapter(Page[HouseholdRead])


def _people() -> list[dict[str, Any]]:
    return [
        {"name": "王芳", "id_number": id_number("330502", born=date(1950, 3, 9)), "relation": "head",
         "phone": "13912345678", "disability_grade": 2,
         "subsidies": ["disability_nursing", "disability_living"], "living_alone": True},
        {"name": "王小", "id_number": id_number("330502", born=date(2016, 7, 1)), "relation": "grandchild",
         "parents_absent": True},
        {"name": "李强", "id_number": id_number("330502", born=date(1948, 12, 31)), "relation": "spouse"},
    ]  # fmt: skip


async def test_get_answers_the_bytes_of_the_response_model(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    writer = auth("operator", region="330502")
    people = _people()
    spouse_number = people[2]["id_number"]
    created = await client.post(BASE, json=household(income="1000.01", members=people), headers=writer)
    assert created.status_code == 201, created.text
    got = await client.get(f"{BASE}/{created.json()['id']}", headers=auth("viewer", region="330502"))
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json"
    assert got.headers["etag"] == '"1"'
    # The create answer is serialised from the response model by FastAPI; the read, from a
    # document by pydantic-core: the bytes must agree, and agree with the model's own.
    assert got.content == created.content
    assert got.content == ONE.dump_json(HouseholdRead.model_validate_json(got.content))
    doc = got.json()
    assert list(doc) == list(HouseholdRead.model_fields)
    assert doc["monthly_income"] == "1000.01"
    assert doc["per_capita_income"] == "333.34"
    head, grandchild, spouse = doc["members"]
    assert [m["name"] for m in doc["members"]] == ["王芳", "王小", "李强"]
    assert head["id_number"].startswith("330502")
    assert "********" in head["id_number"]
    assert head["phone"] == "139****5678"
    assert head["disability_grade"] == 2
    assert head["living_alone"] is True
    assert head["subsidies"] == ["disability_living", "disability_nursing"]
    assert isinstance(head["age"], int)
    assert head["age"] >= 75
    assert grandchild["parents_absent"] is True
    assert grandchild["living_alone"] is False
    assert grandchild["phone"] is None
    assert grandchild["disability_grade"] is None
    assert grandchild["subsidies"] == []
    assert spouse["id_number"] == mask_id_number(spouse_number)


async def test_reveal_answers_the_model_bytes_with_numbers_in_clear(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    people = _people()
    created = await create(client, auth("operator", region="330502"), household(members=people))
    got = await client.get(
        f"{BASE}/{created['id']}", params={"reveal": "true"}, headers=auth("operator", region="330502")
    )
    assert got.status_code == 200
    assert got.content == ONE.dump_json(HouseholdRead.model_validate_json(got.content))
    members = got.json()["members"]
    assert [m["id_number"] for m in members] == [p["id_number"] for p in people]
    assert [m["phone"] for m in members] == ["13912345678", None, None]


async def test_list_items_are_the_households_read_one_by_one(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    writer = auth("operator", region="330502")
    reader = auth("viewer", region="330502")
    # Names no other test uses: the filter finds these two households only.
    people = _people()
    people[0]["name"] = "页读甲"
    other = [{"name": "页读乙", "id_number": id_number("330502"), "relation": "head"}]
    first = await create(client, writer, household(region="330502002000", members=people))
    second = await create(client, writer, household(region="330502002000", members=other))
    # Replacing members tombstones the old ones: no read may show them.
    kept = [people[0], {"name": "赵六", "id_number": id_number("330502"), "relation": "child"}]
    r = await client.patch(
        f"{BASE}/{first['id']}", json={"members": kept}, headers={**writer, "If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    query = {"region_code": "330502002000", "q": "页读"}
    page = await client.get(BASE, params={**query, "limit": 1}, headers=reader)
    assert page.status_code == 200
    assert page.headers["content-type"] == "application/json"
    assert page.content == PAGE.dump_json(Page[HouseholdRead].model_validate_json(page.content))
    body = page.json()
    assert list(body) == ["items", "next_cursor", "total"]
    assert body["next_cursor"]
    assert body["total"] is None
    rest = await client.get(
        BASE, params={**query, "cursor": body["next_cursor"], "count": "true"}, headers=reader
    )
    items = body["items"] + rest.json()["items"]
    assert rest.json()["total"] == 2
    assert [i["id"] for i in items] == [second["id"], first["id"]]
    for item in items:
        one = await client.get(f"{BASE}/{item['id']}", headers=reader)
        assert item == one.json()
    assert [m["name"] for m in items[1]["members"]] == ["页读甲", "赵六"]
    assert items[1]["version"] == 2
