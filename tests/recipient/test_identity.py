"""One person, one registration: ID numbers, phone numbers and credit codes are normalised at
the door, so the full-width, spaced or hyphenated spelling of a number is the same number, and
digits of another script are refused at the field."""

from __future__ import annotations

from datetime import date

import httpx

from tests.conftest import TokenFactory
from tests.factories import ARABIC_INDIC, full_width, id_number, uscc
from tests.recipient.helpers import create, household

BASE = "/api/v1/recipients"


def _one(name: str, number: str, **extra: str) -> dict[str, object]:
    return household(members=[{"name": name, "id_number": number, "relation": "head", **extra}])


async def test_a_person_typed_three_ways_is_registered_once(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", "admin", region="330502")
    person = id_number("330502", born=date(1961, 4, 5))
    first = await create(client, h, _one("王芳", full_width(person)))
    assert first["members"][0]["id_number"] == person[:6] + "********" + person[-4:]

    for spelling in (person, f"{person[:6]} {person[6:14]} {person[14:]}", f"{person[:6]}-{person[6:]}"):
        again = await client.post(BASE, json=_one("王芳", spelling), headers=h)
        assert again.status_code == 409, again.text
        assert again.json()["household_id"] == first["id"]

    revealed = await client.get(f"{BASE}/{first['id']}", params={"reveal": "true"}, headers=h)
    assert revealed.json()["members"][0]["id_number"] == person  # stored in ASCII

    for query in (person, full_width(person)):
        found = await client.get(BASE, params={"id_number": query}, headers=h)
        assert found.status_code == 200, found.text
        assert [x["id"] for x in found.json()["items"]] == [first["id"]]


async def test_other_digit_scripts_are_refused_at_the_field(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    person = id_number("330502")
    r = await client.post(BASE, json=_one("赵敏", person.translate(ARABIC_INDIC)), headers=h)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["body", "members", 0, "id_number"]
    assert "digits must be 0-9" in r.json()["errors"][0]["msg"]

    phone = await client.post(
        BASE, json=_one("赵敏", person, phone="13812345678".translate(ARABIC_INDIC)), headers=h
    )
    assert phone.status_code == 422
    assert phone.json()["errors"][0]["loc"] == ["body", "members", 0, "phone"]

    listed = await client.get(BASE, params={"id_number": person.translate(ARABIC_INDIC)}, headers=h)
    assert listed.status_code == 422
    assert listed.json()["errors"][0]["loc"] == ["query", "id_number"]


async def test_phone_numbers_are_stored_normalised(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", "admin", region="330502")
    created = await create(client, h, _one("钱进", id_number("330502"), phone="１３９ ８７６５－４３２１"))
    assert created["members"][0]["phone"] == "139****4321"
    revealed = await client.get(f"{BASE}/{created['id']}", params={"reveal": "true"}, headers=h)
    assert revealed.json()["members"][0]["phone"] == "13987654321"


async def test_credit_codes_are_normalised(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    code = uscc()
    r = await client.get(
        "/api/v1/charity-trusts",
        params={"trustee_uscc": full_width(code.lower())},
        headers=auth("viewer", region="330500"),
    )
    assert r.status_code == 200, r.text
    bad = await client.get(
        "/api/v1/charity-trusts",
        params={"trustee_uscc": code[:-1] + "٣"},
        headers=auth("viewer", region="330500"),
    )
    assert bad.status_code == 422


async def test_assessments_take_the_same_numbers(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    person = id_number("330502", born=date(1940, 2, 2))
    h = auth("operator", region="330502")
    by_path = await client.get(f"/api/v1/elderly/{full_width(person)}/profile", headers=h)
    by_ascii = await client.get(f"/api/v1/elderly/{person}/profile", headers=h)
    assert by_path.status_code == by_ascii.status_code
    refused = await client.get(f"/api/v1/elderly/{person.translate(ARABIC_INDIC)}/profile", headers=h)
    assert refused.status_code == 422


async def test_deaths_are_found_by_any_spelling_of_the_number(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    person = id_number("330502")
    r = await client.post(
        "/api/v1/deaths",
        json={"id_number": person, "died_on": "2026-01-10", "source": "public_security"},
        headers=h,
    )
    assert r.status_code == 201, r.text

    for query in (full_width(person), f"{person[:6]}-{person[6:14]} {person[14:]}"):
        found = await client.get("/api/v1/deaths", params={"id_number": query}, headers=h)
        assert found.status_code == 200, found.text
        assert [d["id"] for d in found.json()["items"]] == [r.json()["id"]]

    refused = await client.get(
        "/api/v1/deaths", params={"id_number": person.translate(ARABIC_INDIC)}, headers=h
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["query", "id_number"]
    assert "digits must be 0-9" in refused.json()["errors"][0]["msg"]
