"""Deaths: recorded once, matched by the normalised ID number, and no one paid after the month
of death."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import httpx

from app.core.clock import clock
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.paying import approved, payments, ran, skips

DEATHS = "/api/v1/deaths"


async def _death(client: httpx.AsyncClient, h: dict[str, str], person: str, died_on: str) -> dict[str, Any]:
    r = await client.post(
        DEATHS, json={"id_number": person, "died_on": died_on, "source": "public_security"}, headers=h
    )
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def test_recording_a_death(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330523")
    house = await approved(client, h, "330523103000", on=date(2026, 1, 5), n=2)
    head = house["members"][0]
    person = next(
        m
        for m in (await client.get(f"/api/v1/recipients/{house['id']}?reveal=true", headers=h)).json()[
            "members"
        ]
    )["id_number"]
    lower = person[:-1] + person[-1].lower()
    created = await _death(client, h, lower, "2026-02-10")
    assert created["id_number"] == person[:6] + "********" + person[-4:]
    assert person not in str(created)
    assert created["region_code"] == "330523103000"
    assert created["matches"] == [
        {
            "household_id": house["id"],
            "member_id": head["id"],
            "region_code": "330523103000",
            "relation": "head",
            "household_status": "approved",
            "review": True,
        }
    ]
    again = await client.post(
        DEATHS, json={"id_number": person, "died_on": "2026-02-11", "source": "funeral"}, headers=h
    )
    assert again.status_code == 409
    assert (again.json()["status"], again.json()["death_id"]) == (409, created["id"])
    listed = await client.get(DEATHS, params={"id_number": person}, headers=h)
    assert [d["id"] for d in listed.json()["items"]] == [created["id"]]
    got = await client.get(f"{DEATHS}/{created['id']}", headers=h)
    assert got.status_code == 200
    assert got.json()["matches"][0]["review"] is True

    future = await client.post(
        DEATHS, json={"id_number": id_number("330523"), "died_on": "2999-01-01", "source": "x"}, headers=h
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["loc"] == ["body", "died_on"]
    unborn = await client.post(
        DEATHS,
        json={
            "id_number": id_number("330523", born=date(2000, 1, 1)),
            "died_on": "1999-12-31",
            "source": "x",
        },
        headers=h,
    )
    assert unborn.status_code == 422
    bad = await client.post(
        DEATHS, json={"id_number": "123", "died_on": "2026-01-01", "source": "x"}, headers=h
    )
    assert bad.status_code == 422
    # A mistaken notice is withdrawn with If-Match; the person is matched again.
    stale = await client.delete(f"{DEATHS}/{created['id']}", headers={**h, "If-Match": '"9"'})
    assert stale.status_code == 412
    gone = await client.delete(f"{DEATHS}/{created['id']}", headers={**h, "If-Match": '"1"'})
    assert gone.status_code == 204
    assert (await client.get(f"{DEATHS}/{created['id']}", headers=h)).status_code == 404


async def test_no_one_is_paid_after_the_month_of_death(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    region = "330523104000"
    h = auth("operator", region="330523")
    family = await approved(client, h, region, on=date(2026, 1, 5), income="300.00", n=3)
    single = await approved(client, h, region, on=date(2026, 1, 5), income="200.00", n=1)
    couple = await approved(client, h, region, on=date(2026, 1, 5), income="500.00", n=2)
    ids = {}
    for house in (family, single, couple):
        revealed = (await client.get(f"/api/v1/recipients/{house['id']}?reveal=true", headers=h)).json()
        ids[house["id"]] = [m["id_number"] for m in revealed["members"]]
    await _death(client, h, ids[family["id"]][0], "2026-03-05")  # the head, in March
    await _death(client, h, ids[single["id"]][0], "2026-02-15")  # the only member, in February
    spouse = await client.post(
        DEATHS,
        json={"id_number": ids[couple["id"]][1], "date_of_death": "2026-02-10", "source": "funeral"},
        headers=h,
    )
    assert spouse.status_code == 201, spouse.text  # the spouse, in February
    assert spouse.json()["died_on"] == "2026-02-10"

    feb = await ran(client, h, region, "2026-02")
    mar = await ran(client, h, region, "2026-03")
    apr = await ran(client, h, region, "2026-04")

    def amounts(items: list[dict[str, Any]]) -> dict[str, tuple[str, int]]:
        return {p["month"]: (p["amount"], p["member_count"]) for p in items}

    # The family: 3 × 1000 − 300 up to March (the head died in March), nothing in April.
    assert amounts(await payments(client, h, family["id"])) == {
        "2026-02": ("2700.00", 3),
        "2026-03": ("2700.00", 3),
    }
    # The single member: paid for February (the month of death), never after.
    assert amounts(await payments(client, h, single["id"])) == {"2026-02": ("800.00", 1)}
    # The couple: paid for two in February, then for one: 1 × 1000 − 500.
    assert amounts(await payments(client, h, couple["id"])) == {
        "2026-02": ("1500.00", 2),
        "2026-03": ("500.00", 1),
        "2026-04": ("500.00", 1),
    }
    reasons = {
        run["month"]: sorted((s["household_id"], s["reason_code"]) for s in await skips(client, h, run["id"]))
        for run in (feb, mar, apr)
    }
    assert (single["id"], "death_review") in reasons["2026-03"]
    assert (family["id"], "death_review") in reasons["2026-04"]
    assert (couple["id"], "died") in reasons["2026-03"]
    assert not any(hid == family["id"] for hid, _ in reasons["2026-03"])
    review = next(s for s in await skips(client, h, apr["id"]) if s["household_id"] == family["id"])
    assert "head died on 2026-03-05" in review["reason"]

    found = await client.get(
        "/api/v1/recipients/discoveries",
        params={"rule": "household_death_review", "region_code": region},
        headers=h,
    )
    assert sorted(d["household_id"] for d in found.json()["items"]) == sorted([family["id"], single["id"]])
    none = await client.get(
        "/api/v1/quality/payment_after_death", params={"region_code": region}, headers=auth("admin")
    )
    assert none.json()["items"] == []


async def test_a_quality_rule_lists_payments_made_after_a_death(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    region = "330523105000"
    h = auth("operator", region="330523")
    house = await approved(client, h, region, on=date(2026, 1, 5), income="0.00", n=1)
    await ran(client, h, region, "2026-01")
    await ran(client, h, region, "2026-02")
    await ran(client, h, region, "2026-03")
    person = (await client.get(f"/api/v1/recipients/{house['id']}?reveal=true", headers=h)).json()["members"][
        0
    ]
    # The notice arrives late: the person died in January.
    await _death(client, h, person["id_number"], "2026-01-20")
    paid = {p["month"]: p["id"] for p in await payments(client, h, house["id"])}
    found = await client.get(
        "/api/v1/quality/payment_after_death", params={"region_code": region}, headers=auth("admin")
    )
    assert found.status_code == 200, found.text
    assert sorted(f["key"] for f in found.json()["items"]) == sorted([paid["2026-02"], paid["2026-03"]])
    assert "2026-02" in " ".join(f["detail"] for f in found.json()["items"])


async def test_import_deaths_over_http(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330523")
    known = id_number("330523")
    rows = f"id_number,died_on,source\n{known},20260301,civil_registration\nX,2026-03-01,funeral\n"
    with clock.frozen(datetime(2026, 6, 1, 4, 0, tzinfo=UTC)):
        r = await client.post(
            f"{DEATHS}/import",
            files={"file": ("deaths.csv", io.BytesIO(rows.encode()), "text/csv")},
            headers=h,
        )
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], [x["line"] for x in r.json()["rejected"]]) == (1, [3])
    listed = (await client.get(DEATHS, params={"id_number": known}, headers=h)).json()["items"]
    assert [d["died_on"] for d in listed] == ["2026-03-01"]


async def test_a_death_recorded_in_another_county_is_refused_without_naming_it(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    person = id_number("330523")
    recorded = await _death(client, auth("operator", region="330523"), person, "2026-03-02")
    again = await client.post(
        DEATHS,
        json={"id_number": person, "died_on": "2026-03-04", "source": "funeral"},
        headers=auth("operator", region="330522"),
    )
    assert again.status_code == 409
    body = again.json()
    assert body["status"] == 409
    assert "outside your scope" in body["detail"]
    assert not {"death_id", "died_on"} & set(body)
    for secret in (recorded["id"], "2026-03-02", "330523"):
        assert secret not in again.text
    # Inside its scope the answer names the record.
    mine = await client.post(
        DEATHS,
        json={"id_number": person, "died_on": "2026-03-04", "source": "funeral"},
        headers=auth("operator", region="330523"),
    )
    assert (mine.status_code, mine.json()["death_id"]) == (409, recorded["id"])
