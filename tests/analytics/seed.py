"""Records the analytics tests count, written through the API into a database of their own, and
the figures a person computes from them by hand (the expectations live with the tests).

Households (the city's dibao standard 12,000 a year = 1,000.00 a month; 南浔 sets 13,200 =
1,100.00 from 2024):

| id | region                     | category   | members | income   | status   | approved   | benefit |
|----|----------------------------|------------|---------|----------|----------|------------|---------|
| H1 | 330502001001 (a community) | dibao      | 2       | 1000.00  | approved | 2024-01-15 | 1000.00 |
| H2 | 330502001000 月河街道       | dibao      | 3       | 1500.00  | approved | 2024-02-10 | 1500.00 |
| H3 | 330502002000 朝阳街道       | tekun      | 1       | 0.00     | approved | 2024-02-20 | —       |
| H4 | 330503100000 (南浔)         | dibao      | 2       | 2400.00  | applied  | —          | —       |
| H5 | 330503100000               | dibao_edge | 1       | 1200.00  | approved | 2025-01-05 | —       |
| H6 | 330503100000               | dibao      | 1       | 600.00   | approved | 2025-03-31 | 500.00  |

Payment runs for 月河街道 (H1 and H2) in 2024-03 and 2024-04: four payments, 2,500.00 a month.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from sqlalchemy import update

from app.core.db import Database
from app.recipient.models import Household
from tests.address.helpers import address
from tests.address.helpers import create as create_address
from tests.assessment.helpers import body as assessment_body
from tests.assessment.helpers import items_totalling, record
from tests.charity_trust.helpers import create as create_trust
from tests.charity_trust.helpers import trust
from tests.factories import id_number
from tests.recipient.helpers import create as create_household
from tests.recipient.helpers import household, move

COMMUNITY = "330502001001"
YUEHE, CHAOYANG, NANXUN_TOWN = "330502001000", "330502002000", "330503100000"
WUXING, NANXUN, CITY = "330502000000", "330503000000", "330500000000"
TODAY = date(2026, 6, 15)


@dataclass
class Seeded:
    households: dict[str, str] = field(default_factory=dict)
    assessments: dict[str, str] = field(default_factory=dict)
    trusts: dict[str, str] = field(default_factory=dict)


def person(name: str, region: str, born: date, sex: str = "male", **extra: Any) -> dict[str, Any]:
    return {"name": name, "id_number": id_number(region[:6], born=born, sex=sex), **extra}


async def _ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()
    return found


async def seed_households(client: httpx.AsyncClient, op: dict[str, str], db: Database, out: Seeded) -> None:
    specs: list[tuple[str, str, str, str, list[dict[str, Any]], date | None]] = [
        (
            "H1",
            COMMUNITY,
            "dibao",
            "1000.00",
            [
                person("甲一", COMMUNITY, date(2010, 6, 15), relation="head", disability_grade=2),
                person("甲二", COMMUNITY, date(2010, 6, 16), "female", relation="child"),
            ],
            date(2024, 1, 15),
        ),
        (
            "H2",
            YUEHE,
            "dibao",
            "1500.00",
            [
                person("乙一", YUEHE, date(1966, 6, 15), relation="head"),
                person("乙二", YUEHE, date(1946, 6, 16), "female", relation="spouse", disability_grade=1),
                person("乙三", YUEHE, date(1946, 6, 15), relation="parent"),
            ],
            date(2024, 2, 10),
        ),
        ("H3", CHAOYANG, "tekun", "0.00",
         [person("丙一", CHAOYANG, date(1966, 6, 16), relation="head")], date(2024, 2, 20)),
        (
            "H4",
            NANXUN_TOWN,
            "dibao",
            "2400.00",
            [
                person("丁一", NANXUN_TOWN, date(1980, 1, 1), relation="head"),
                person("丁二", NANXUN_TOWN, date(1982, 2, 2), "female", relation="spouse"),
            ],
            None,
        ),
        ("H5", NANXUN_TOWN, "dibao_edge", "1200.00",
         [person("戊一", NANXUN_TOWN, date(1990, 3, 3), relation="head")], date(2025, 1, 5)),
        ("H6", NANXUN_TOWN, "dibao", "600.00",
         [person("己一", NANXUN_TOWN, date(1955, 4, 4), "female", relation="head")], date(2025, 3, 31)),
    ]  # fmt: skip
    for key, region, category, income, members, approved in specs:
        created = await create_household(client, op, household(region, category, income, members))
        out.households[key] = created["id"]
        if approved is not None:
            await move(client, op, created["id"], "verify", "approve")
            # The approval day is today's on the way in; the figures need it on a chosen day.
            table = Household.__table__  # type: ignore[attr-defined]
            async with db.engine.begin() as conn:
                await conn.execute(
                    update(table).where(table.c.id == uuid.UUID(created["id"])).values(approved_on=approved)
                )
    for month in ("2024-03", "2024-04"):
        run = await _ok(
            await client.post("/api/v1/payment-runs", json={"region_code": YUEHE, "month": month}, headers=op)
        )
        assert run["payment_count"] == 2, run


async def seed_assessments(client: httpx.AsyncClient, op: dict[str, str], out: Seeded) -> None:
    """P1 assessed twice (60 on 2025-03-01, then 40 on 2025-09-01), P2 90 on 2025-05-10, P3 70 on
    2024-11-20, P4 50 on 2025-02-02 amended to 80; P3 was born in 1940 (80+ on 2026-06-15)."""
    p1 = id_number("330502", born=date(1950, 1, 1), sex="male")
    people = [
        ("P1a", YUEHE, p1, 60, date(2025, 3, 1)),
        ("P1b", YUEHE, p1, 40, date(2025, 9, 1)),
        ("P2", NANXUN_TOWN, id_number("330503", born=date(1955, 5, 5), sex="female"), 90, date(2025, 5, 10)),
        ("P3", CHAOYANG, id_number("330502", born=date(1940, 2, 2), sex="male"), 70, date(2024, 11, 20)),
        ("P4", YUEHE, id_number("330502", born=date(1952, 7, 7), sex="female"), 50, date(2025, 2, 2)),
    ]
    for key, region, number, total, day in people:
        made = await record(client, op, assessment_body(region, number, total, day))
        out.assessments[key] = made["id"]
    amended = await client.post(
        f"/api/v1/assessments/{out.assessments['P4']}/amendments",
        json={"reason": "录入有误", "items": items_totalling(80)},
        headers=op,
    )
    out.assessments["P4b"] = (await _ok(amended))["id"]


async def seed_trusts(client: httpx.AsyncClient, op: dict[str, str], out: Seeded) -> None:
    """T1 吴兴 filed 2022 (1,000,000; education and poverty relief), T2 the city filed 2023
    (2,000,000; health), T3 南浔 draft (500,000; education), T4 南浔 filed 2023 and terminated
    (300,000; other). In force: T1 and T2, 3,000,000.00."""
    t1 = await create_trust(
        client, op, trust("330502", signed_on="2022-03-01", filed_on="2022-03-05", amount="1000000.00")
    )
    t2 = await create_trust(
        client,
        op,
        trust(
            "330500",
            signed_on="2023-04-28",
            filed_on="2023-05-01",
            amount="2000000.00",
            purpose_categories=["health"],
        ),
    )
    t3 = await create_trust(client, op, trust("330503", amount="500000.00", purpose_categories=["education"]))
    t4 = await create_trust(
        client, op,
        trust("330503", signed_on="2023-01-05", filed_on="2023-01-10", amount="300000.00",
              purpose_categories=["other"]),
    )  # fmt: skip
    ended = await client.post(
        f"/api/v1/charity-trusts/{t4['id']}/termination",
        json={"terminated_on": "2024-06-30", "reason": "信托目的已实现", "reported_on": "2024-07-05"},
        headers=op,
    )
    await _ok(ended, 200)
    out.trusts.update(T1=t1["id"], T2=t2["id"], T3=t3["id"], T4=t4["id"])


async def seed_addresses(client: httpx.AsyncClient, op: dict[str, str]) -> None:
    """Three active addresses, two with coordinates, and one retired (with coordinates)."""

    await create_address(client, op, address(YUEHE, lon=120.09, lat=30.87))
    await create_address(client, op, address(YUEHE))
    await create_address(client, op, address(NANXUN_TOWN, lon=120.43, lat=30.87))
    retired = await create_address(client, op, address(NANXUN_TOWN, lon=120.44, lat=30.88))
    await _ok(await client.post(f"/api/v1/addresses/{retired['id']}/retire", json={}, headers=op), 200)


async def seed(client: httpx.AsyncClient, admin: dict[str, str], op: dict[str, str], db: Database) -> Seeded:
    out = Seeded()
    await _ok(
        await client.post("/api/v1/regions", json={"code": COMMUNITY, "name": "测试社区"}, headers=admin)
    )
    await _ok(
        await client.post(
            "/api/v1/standards",
            json={
                "kind": "dibao_annual",
                "region_code": "330503",
                "effective_from": "2024-01-01",
                "value": "13200.00",
            },
            headers=admin,
        )
    )
    await seed_households(client, op, db, out)
    await seed_assessments(client, op, out)
    await seed_trusts(client, op, out)
    await seed_addresses(client, op)
    return out
