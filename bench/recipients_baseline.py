"""The baseline the recipients benchmark compares against: bare FastAPI + asyncpg running the
same queries as the service's household read and filtered list, with no auth, ORM or envelope."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI

DSN = os.environ["BENCH_DSN"]
POOL: dict[str, asyncpg.Pool] = {}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    POOL["pool"] = await asyncpg.create_pool(DSN, min_size=10, max_size=20)
    yield
    await POOL["pool"].close()


app = FastAPI(lifespan=lifespan)

MEMBERS = (
    "SELECT id, name, relation, id_number_masked, phone_masked, sex, birth_date, disability_grade, "
    "subsidies, household_id FROM recipient_member WHERE household_id = ANY($1::uuid[]) "
    "AND deleted_at IS NULL ORDER BY household_id, id"
)


def _row(record: asyncpg.Record) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in record.items()}


@app.get("/h/{household_id}")
async def household(household_id: uuid.UUID) -> dict[str, Any]:
    async with POOL["pool"].acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM recipient_household "
            "WHERE id = $1 AND deleted_at IS NULL AND region_code LIKE '3305%'",
            household_id,
        )
        members = await conn.fetch(MEMBERS, [household_id])
    out = _row(row)
    out["members"] = [_row(m) for m in members]
    return out


@app.get("/list")
async def households(region: str, status: str, category: str) -> dict[str, Any]:
    async with POOL["pool"].acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM recipient_household WHERE deleted_at IS NULL AND region_code LIKE '3305%' "
            "AND region_code LIKE $1 AND status = $2 AND category = $3 ORDER BY id DESC LIMIT 51",
            region.rstrip("0") + "%",
            status,
            category,
        )
        members = await conn.fetch(MEMBERS, [r["id"] for r in rows[:50]])
    by_household: dict[Any, list[dict[str, Any]]] = {}
    for m in members:
        by_household.setdefault(m["household_id"], []).append(_row(m))
    items = []
    for r in rows[:50]:
        item = _row(r)
        item["members"] = by_household.get(r["id"], [])
        items.append(item)
    return {"items": items, "next_cursor": None}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
