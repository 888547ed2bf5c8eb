"""A day's rules run in Beijing time, whatever the UTC date says.

At 23:30 UTC on 30 November it is already 07:30 on 1 December in Huzhou; at 00:30 UTC on
1 December it is 08:30 there. Both instants must give the same, local answers (a service on
the UTC date would be a day behind at the first). At 15:30 UTC on 30 November (23:30 local)
the rules still answer for 30 November.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import clock
from tests.assessment.helpers import body as assessment_body
from tests.charity_trust.helpers import BASE as TRUSTS
from tests.charity_trust.helpers import trust
from tests.conftest import TokenFactory
from tests.factories import id_number
from tests.recipient.helpers import create, household, move

BEFORE_MIDNIGHT = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 23:30 on 30 Nov in Huzhou
LATE_UTC = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 07:30 on 1 Dec in Huzhou, UTC says 30 Nov
EARLY_UTC = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 08:30 on 1 Dec in Huzhou


async def _day_rules(client: httpx.AsyncClient, h: dict[str, str], admin: dict[str, str]) -> dict[str, Any]:
    """Run the rules that read 'today' once and collect what they answered."""
    today = clock.today()
    out: dict[str, Any] = {"today": today.isoformat(), "month": clock.this_month()}
    # A household applied for and approved today is dated today.
    created = await create(client, h)
    approved = await move(client, h, created["id"], "verify", "approve")
    out["applied_on"] = created["applied_on"]
    out["approved_on"] = approved["approved_on"]
    # A child born on 1 December is not "born in the future" once it is 1 December locally.
    newborn = id_number("330502", born=date(2026, 12, 1))
    r = await client.post(
        "/api/v1/recipients",
        json=household(members=[{"name": "新生", "id_number": newborn, "relation": "head"}]),
        headers=h,
    )
    out["newborn"] = r.status_code
    # Someone born on 1 December 1966 turns 60 (the assessment age) on 1 December 2026.
    sixty = id_number("330502", born=date(1966, 12, 1))
    r = await client.post(
        "/api/v1/assessments",
        json=assessment_body(person=sixty, assessed_on=date(2026, 12, 1)),
        headers=h,
    )
    out["assessment_on_1_dec_at_60"] = r.status_code
    # A trust signed on 23 November and filed today: 8 days on 1 December (late), 7 on 30 Nov.
    r = await client.post(TRUSTS, json=trust(signed_on="2026-11-23"), headers=h)
    assert r.status_code == 201, r.text
    filed = await client.post(
        f"{TRUSTS}/{r.json()['id']}/filing", json={"filing_number": f"F{id_number()[-8:]}"}, headers=h
    )
    assert filed.status_code == 200, filed.text
    out["trust_filed_on"], out["trust_late"] = filed.json()["filed_on"], filed.json()["late_filing"]
    # A payment run for the local month is allowed; one for the month after it is not.
    run = await client.post(
        "/api/v1/payment-runs", json={"region_code": "330502013000", "month": "2026-12"}, headers=h
    )
    out["run_for_december"] = run.status_code
    out["reviewed_a_year_ago_overdue"] = await _review_overdue(client, admin, today)
    return out


async def _review_overdue(client: httpx.AsyncClient, admin: dict[str, str], today: date) -> bool:
    r = await client.get(
        "/api/v1/quality/dibao_review_overdue",
        params={"region_code": "330503", "limit": 500},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    return any(f["key"] == OLD_HOUSEHOLD[0] for f in r.json()["items"]) if OLD_HOUSEHOLD else False


OLD_HOUSEHOLD: list[str] = []


@pytest.fixture
async def reviewed_on_30_nov_2025(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    """A dibao household in 330503 approved (so reviewed) on 30 November 2025, local time."""
    h = auth("operator", region="330503")
    with clock.frozen(datetime(2025, 11, 30, 4, 0, tzinfo=UTC)):
        created = await create(client, h, household(region="330503001000"))
        approved = await move(client, h, created["id"], "verify", "approve")
    assert approved["last_reviewed_on"] == "2025-11-30"
    OLD_HOUSEHOLD[:] = [created["id"]]


@pytest.mark.usefixtures("reviewed_on_30_nov_2025")
async def test_a_days_rules_follow_the_local_date(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    admin = auth("admin")
    with clock.frozen(LATE_UTC):
        late = await _day_rules(client, h, admin)
    with clock.frozen(EARLY_UTC):
        early = await _day_rules(client, h, admin)
    with clock.frozen(BEFORE_MIDNIGHT):
        before = await _day_rules(client, h, admin)

    first_of_december = {
        "today": "2026-12-01",
        "month": "2026-12",
        "applied_on": "2026-12-01",
        "approved_on": "2026-12-01",
        "newborn": 201,
        "assessment_on_1_dec_at_60": 201,
        "trust_filed_on": "2026-12-01",
        "trust_late": True,
        "reviewed_a_year_ago_overdue": True,
    }
    assert {k: late[k] for k in first_of_december} == first_of_december
    assert {k: early[k] for k in first_of_december} == first_of_december
    # One run per region and month: the first instant creates December's run, the second finds it.
    assert (late["run_for_december"], early["run_for_december"]) == (201, 409)

    assert before == {
        "today": "2026-11-30",
        "month": "2026-11",
        "applied_on": "2026-11-30",
        "approved_on": "2026-11-30",
        "newborn": 422,
        "assessment_on_1_dec_at_60": 422,
        "trust_filed_on": "2026-11-30",
        "trust_late": False,
        "run_for_december": 422,
        "reviewed_a_year_ago_overdue": False,
    }
    assert date.fromisoformat(before["today"]) + timedelta(days=1) == date.fromisoformat(late["today"])
