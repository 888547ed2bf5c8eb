"""Dibao to the fen, computed by hand at every threshold (one fen either side), first as pure
rules, then through the API and a payment run, so the stored amounts are checked on the
suite's engine (the suite runs on SQLite and on PostgreSQL).

Rule: monthly standard = annual / 12, rounded half-up to the fen once; eligible when the
household income is below standard × members; benefit = standard × members − income.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import httpx
import pytest

from app.recipient import eligibility, tekun
from tests.conftest import TokenFactory
from tests.recipient.paying import approved, payments, ran, skips, standard

# (members, household monthly income, benefit or None when not eligible) at 1,000.00 a month
# (12,000.00 a year: Huzhou's standard).
AT_1000 = [
    (3, "1000.00", "2000.00"),  # per person first: (1000.00 − 333.33) × 3 = 2000.01
    (3, "2000.00", "1000.00"),  # per person first: (1000.00 − 666.67) × 3 = 999.99
    (7, "1000.00", "6000.00"),  # per person first: (1000.00 − 142.86) × 7 = 5999.98
    (3, "2999.99", "0.01"),  # short of 3000.00 by one fen: eligible
    (3, "3000.00", None),  # at the threshold: not below it
    (3, "3000.01", None),
    (1, "999.99", "0.01"),
    (1, "1000.00", None),
    (1, "0.00", "1000.00"),
    (2, "1999.99", "0.01"),
    (2, "2000.00", None),
]


@pytest.mark.parametrize(("members", "income", "benefit"), AT_1000)
def test_dibao_at_1000_a_month(members: int, income: str, benefit: str | None) -> None:
    result = eligibility.assess("dibao", D(income), members, D("12000.00"), None)
    assert result.monthly_standard == D("1000.00")
    assert result.household_standard == D("1000.00") * members
    assert result.eligible is (benefit is not None)
    assert result.monthly_benefit == D(benefit or "0.00")


@pytest.mark.parametrize(
    ("annual", "monthly"),
    [
        ("12000.00", "1000.00"),
        ("12000.05", "1000.00"),  # 1000.0041…: down
        ("12000.06", "1000.01"),  # 1000.005 exactly: half-up (banker's rounding would give 1000.00)
        ("12000.30", "1000.03"),  # 1000.025 exactly: half-up (banker's: 1000.02)
        ("12345.67", "1028.81"),  # 1028.8058…
        ("10000.00", "833.33"),
        ("9999.99", "833.33"),  # 833.3325
    ],
)
def test_monthly_standard_is_rounded_half_up_once(annual: str, monthly: str) -> None:
    assert eligibility.monthly(D(annual)) == D(monthly)


def test_rounding_once_on_the_household_not_per_person() -> None:
    # 1000.01 a month (12000.06 a year), 3 members, 1000.00 income.
    result = eligibility.assess("dibao", D("1000.00"), 3, D("12000.06"), None)
    assert result.monthly_benefit == D("2000.03")  # 3000.03 − 1000.00
    per_person_first = (D("1000.01") - result.per_capita_income) * 3
    assert per_person_first == D("2000.04")  # the drift the household rule avoids
    assert eligibility.assess("dibao", D("3000.02"), 3, D("12000.06"), None).monthly_benefit == D("0.01")
    assert eligibility.assess("dibao", D("3000.03"), 3, D("12000.06"), None).eligible is False


def test_dibao_edge_threshold_is_exact() -> None:
    # 1.5 × 1000.00 × 2 = 3000.00
    assert eligibility.assess("dibao_edge", D("2999.99"), 2, D("12000.00"), D("1.5")).eligible is True
    assert eligibility.assess("dibao_edge", D("3000.00"), 2, D("12000.00"), D("1.5")).eligible is False
    # 1.5 × 1000.01 × 3 = 4500.045: 4500.04 is below, 4500.05 is not
    assert eligibility.assess("dibao_edge", D("4500.04"), 3, D("12000.06"), D("1.5")).eligible is True
    assert eligibility.assess("dibao_edge", D("4500.05"), 3, D("12000.06"), D("1.5")).eligible is False


def test_tekun_basic_standard_defaults_to_1_3_times_dibao() -> None:
    assert tekun.basic_monthly(D("12000.00"), None) == D("1300.00")
    assert tekun.basic_monthly(D("12345.67"), None) == D("1337.45")  # 16049.371 / 12 = 1337.4475…
    assert tekun.basic_monthly(D("12000.00"), D("18000.00")) == D("1500.00")  # the county's own
    assert tekun.basic_monthly(None, None) is None
    assert [tekun.tier_of(c) for c in ("intact", "mild", "moderate", "severe", "total")] == [
        "able",
        "partial",
        "partial",
        "full",
        "full",
    ]


async def _pay_cases(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    region: str,
    cases: list[tuple[int, str, str | None]],
    month: str,
) -> None:
    h = auth("operator", region=region[:6])
    ids = []
    for members, income, _ in cases:
        got = await approved(
            client, h, region, on=date.fromisoformat(f"{month}-03"), income=income, n=members
        )
        ids.append(got["id"])
    result = await ran(client, h, region, month)
    skipped = {s["household_id"]: s for s in await skips(client, h, result["id"])}
    for hid, (members, income, benefit) in zip(ids, cases, strict=True):
        paid = [p for p in await payments(client, h, hid) if p["month"] == month]
        if benefit is None:
            assert paid == [], (members, income)
            assert skipped[hid]["reason_code"] == "not_eligible"
        else:
            assert [(p["kind"], p["amount"], p["member_count"]) for p in paid] == [
                ("dibao", benefit, members)
            ]
            assert paid[0]["category"] == "dibao"
            assert paid[0]["member_id"] is None
    expected = sum((D(b) for _m, _i, b in cases if b), D("0"))
    assert D(result["total"]) == expected
    assert result["totals_by_kind"] == ({"dibao": f"{expected:.2f}"} if expected else {})


async def test_runs_pay_dibao_to_the_fen(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    # Pinned for the township: another test raises the county's standard from 2024.
    await standard(client, auth("admin"), "dibao_annual", "330521002000", "12000.00")
    await _pay_cases(client, auth, "330521002000", AT_1000, "2026-02")


async def test_runs_round_the_monthly_standard_half_up_once(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    admin = auth("admin")
    await standard(client, admin, "dibao_annual", "330521003000", "12000.06")
    await standard(client, admin, "dibao_annual", "330521004000", "12000.30")
    await _pay_cases(
        client,
        auth,
        "330521003000",
        [(3, "1000.00", "2000.03"), (3, "3000.02", "0.01"), (3, "3000.03", None)],
        "2026-02",
    )
    await _pay_cases(client, auth, "330521004000", [(1, "1000.02", "0.01"), (1, "1000.03", None)], "2026-02")
    h = auth("viewer", region="330521")
    probe = await approved(
        client, auth("operator", region="330521"), "330521003000", on=date(2026, 2, 4), n=3
    )
    r = await client.get(
        f"/api/v1/recipients/{probe['id']}/eligibility", params={"on": "2026-02-15"}, headers=h
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["annual_standard"], body["monthly_standard"], body["household_standard"]) == (
        "12000.06",
        "1000.01",
        "3000.03",
    )
    assert (body["monthly_benefit"], body["per_capita_income"], body["members_counted"]) == (
        "3000.03",
        "0.00",
        3,
    )
