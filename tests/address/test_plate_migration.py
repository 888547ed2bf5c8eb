"""Revision 0010 re-issues every plate: codes derived from the sequential address code (which
let anyone walk the open plate page) become 100 random bits; the change log's snapshots carry
the new codes; the old codes open nothing. The downgrade restores the derived codes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from app.address.codes import looks_like_plate
from app.core.db import Database
from app.core.migrations import downgrade, upgrade
from app.ledger import audit
from app.main import create_app
from app.reference import load_reference
from tests.conftest import make_settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def old_plate(code: str) -> str:
    digest = hashlib.sha256(f"plate:{code}:0".encode()).digest()
    number = int.from_bytes(digest[:8], "big") >> 14
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(10)))


def _rows() -> list[dict[str, Any]]:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    out = []
    for n in range(1, 4):
        code = f"330502001000000010{n:03d}000000000"[:30]
        name = f"浙江省湖州市吴兴区月河街道迁移路{n}号"
        out.append(
            {
                "id": uuid.uuid4(),
                "region_code": "330502001000",
                "origin": "330500",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "updated_by": "test",
                "address_code": code,
                "plate_code": old_plate(code),
                "community": "",
                "road": "迁移路",
                "compound": "",
                "house_number": str(n),
                "building": "",
                "unit": "",
                "floor": "",
                "room": "",
                "aliases": [],
                "full_name": name,
                "search_text": name,
                "match_key": uuid.uuid4().hex,
                "status": "active",
            }
        )
    return out


async def _tables(conn: Any) -> dict[str, Table]:
    meta = MetaData()
    await conn.run_sync(lambda c: meta.reflect(c, only=["address", "change_log"]))
    return dict(meta.tables)


async def test_plates_are_reissued_and_old_codes_open_nothing(fresh_db: Callable[..., Any]) -> None:
    url = await fresh_db(migrate=False)
    await asyncio.to_thread(upgrade, url, "0009")
    engine = create_async_engine(url)
    sqlite = url.startswith("sqlite")
    rows = _rows()
    async with engine.begin() as conn:
        tables = await _tables(conn)
        for row in rows:
            stored = {**row, "id": row["id"].hex if sqlite else row["id"]}
            await conn.execute(insert(tables["address"]).values(**stored))
            snapshot = {k: str(v) if not isinstance(v, str | int | list) else v for k, v in row.items()}
            await conn.execute(
                insert(tables["change_log"]).values(
                    entity="address",
                    record_id=stored["id"],
                    op="upsert",
                    version=1,
                    region_code=row["region_code"],
                    origin=row["origin"],
                    changed_at=row["created_at"],
                    snapshot=snapshot,
                )
            )
    await engine.dispose()
    old = {row["address_code"]: row["plate_code"] for row in rows}

    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        tables = await _tables(conn)
        address, log = tables["address"], tables["change_log"]
        now = {
            str(r[0]): str(r[1])
            for r in (await conn.execute(select(address.c.address_code, address.c.plate_code))).all()
        }
        logged = [
            json.loads(s) if isinstance(s, str) else s
            for s in (await conn.execute(select(log.c.snapshot).where(log.c.entity == "address"))).scalars()
        ]
        if sqlite:
            triggers = {
                name
                for (name,) in await conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                )
            }
            assert {"address_fts_insert", "address_fts_update", "address_fts_delete"} <= triggers
    await engine.dispose()
    assert set(now) == set(old)
    for code, plate in now.items():
        assert plate != old[code]
        assert len(plate) == 20
        assert looks_like_plate(plate)
    assert len(set(now.values())) == len(now)
    assert sorted(s["plate_code"] for s in logged) == sorted(now.values())

    settings = make_settings(url)
    db = Database(settings)
    await load_reference(db, settings)
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for code, plate in now.items():
            assert (await client.get(f"/p/{old[code]}")).status_code == 404
            page = await client.get(f"/p/{plate}")
            assert page.status_code == 200
            assert plate in page.text
    # As a node's chainer does when the node stops: the tail of the audit chain is linked
    # before the schema goes back to chaining on append.
    await audit.link_all(db.writer)
    await db.dispose()

    await asyncio.to_thread(downgrade, url, "0009")
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        address = (await _tables(conn))["address"]
        back = {
            str(r[0]): str(r[1])
            for r in (await conn.execute(select(address.c.address_code, address.c.plate_code))).all()
        }
        assert "village" not in address.c
    await engine.dispose()
    assert back == old
