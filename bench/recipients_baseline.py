"""The baseline the recipients benchmark compares against: bare FastAPI + asyncpg running the
same statements as the service's household read and filtered list (their text is taken from
the service's repository, so it cannot drift), answering the same JSON document (same fields,
masks, money strings and ages), with no auth, ORM, session or envelope. Same pool size as the
service (20 connections), one worker.

The statements read a household with its members in one round trip (members as a JSON array
built by PostgreSQL); asyncpg's pool resets each connection when it is released (one more
round trip per request that the service's pool does not make)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import FastAPI, HTTPException
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from app.recipient.filters import HouseholdFilter
from app.recipient.repository import VIEW_WITH_MEMBERS_SQL, filtered_households
from app.recipient.tekun import PARTIAL_MAX_UNABLE, SELF_CARE_ITEMS

DSN = os.environ.get("BENCH_DSN", "")
POOL: dict[str, asyncpg.Pool] = {}
ZONE = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
SCOPE = "3305"  # the benchmark's token is scoped to the city 330500

_list = filtered_households(
    "330500000000",
    HouseholdFilter(region_code="330502001000", category="dibao", status="approved"),
    id_hash=None,
    with_members=True,
)
_list = _list.order_by(_list.selected_columns.id.desc()).limit(51)
_compiled = _list.compile(dialect=PGDialect_asyncpg())  # type: ignore[no-untyped-call]
LIST_SQL = str(_compiled)
"""Parameters: the scope's prefix, the region's prefix, category, status, page size + 1."""
assert list(_compiled.positiontup or []) == [
    "region_code_1",
    "region_code_2",
    "category_1",
    "status_1",
    "param_1",
]


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    POOL["pool"] = await asyncpg.create_pool(DSN, min_size=10, max_size=20)
    yield
    await POOL["pool"].close()


app = FastAPI(lifespan=lifespan)


def _money(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def _member(m: dict[str, Any], today: date) -> dict[str, Any]:
    born = date.fromisoformat(m["birth_date"])
    return {
        "id": m["id"],
        "name": m["name"],
        "relation": m["relation"],
        "id_number": m["id_number_masked"],
        "phone": m["phone_masked"],
        "sex": m["sex"],
        "age": today.year - born.year - ((today.month, today.day) < (born.month, born.day)),
        "disability_grade": m["disability_grade"],
        "subsidies": [s for s in m["subsidies"].split(",") if s],
        "living_alone": m["living_alone"],
        "parents_absent": m["parents_absent"],
        "self_care": _self_care(m["self_care_assessed_on"], m["self_care_unable"]),
    }


def _self_care(assessed_on: str | None, unable: str) -> dict[str, Any] | None:
    if assessed_on is None:
        return None
    listed = set(unable.split(","))
    items = [item for item in SELF_CARE_ITEMS if item in listed]
    tier = "able" if not items else "partial" if len(items) <= PARTIAL_MAX_UNABLE else "full"
    return {"assessed_on": assessed_on, "unable": items, "tier": tier}


def _household(r: asyncpg.Record, members: list[dict[str, Any]], today: date) -> dict[str, Any]:
    income = _money(r["monthly_income_fen"])
    count = r["member_count"]
    return {
        "id": r["id"],
        "version": r["version"],
        "region_code": r["region_code"],
        "category": r["category"],
        "status": r["status"],
        "monthly_income": income,
        "member_count": count,
        "per_capita_income": (income / count).quantize(CENT, rounding=ROUND_HALF_UP) if count else income,
        "address_id": r["address_id"],
        "address_text": r["address_text"],
        "support_mode": r["support_mode"],
        "applied_on": r["applied_on"],
        "approved_on": r["approved_on"],
        "last_reviewed_on": r["last_reviewed_on"],
        "exited_on": r["exited_on"],
        "origin": r["origin"],
        "created_at": r["created_at"],
        "updated_at": r["updated_at"],
        "members": [_member(m, today) for m in members],
    }


def _members(record: asyncpg.Record) -> list[dict[str, Any]]:
    # A bare pool has no JSON codec: the members come as text.
    members: list[dict[str, Any]] = json.loads(record["members"])
    return members


@app.get("/h/{household_id}")
async def household(household_id: uuid.UUID) -> dict[str, Any]:
    today = datetime.now(ZONE).date()
    async with POOL["pool"].acquire() as conn:
        row = await conn.fetchrow(VIEW_WITH_MEMBERS_SQL, household_id, SCOPE + "%")
    if row is None:
        raise HTTPException(404)
    return _household(row, _members(row), today)


@app.get("/list")
async def households(region: str, status: str, category: str) -> dict[str, Any]:
    today = datetime.now(ZONE).date()
    async with POOL["pool"].acquire() as conn:
        rows = await conn.fetch(LIST_SQL, SCOPE, region.rstrip("0"), category, status, 51)
    items = [_household(r, _members(r), today) for r in rows[:50]]
    return {"items": items, "next_cursor": None, "total": None}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
