"""Revision 0016 lets a change-log row go without a snapshot; its downgrade gives the older
release what the feed serves: the record's row where it still has the logged version (on
PostgreSQL), no row at all where the record moved on or is gone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, inspect, null, select, update
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col

from app.address.models import Address
from app.core.migrations import downgrade, upgrade
from app.ledger.changelog import ChangeLog
from tests.address.helpers import BASE, create, unique_road
from tests.sync.nodes import make_node


def _instants(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: datetime.fromisoformat(v) if k.endswith("_at") and isinstance(v, str) else v
        for k, v in record.items()
    }


def _snapshot_nullable(conn: Any) -> bool:
    column = next(c for c in inspect(conn).get_columns("change_log") if c["name"] == "snapshot")
    return bool(column["nullable"])


async def test_downgrade_fills_or_drops_changes_without_snapshots(
    fresh_db: Callable[..., Any], engine: str
) -> None:
    url = await fresh_db()
    node = await make_node(url, "330502")
    road = unique_road()
    op = node.token("operator")
    try:
        async with node.client() as c:
            kept, moved, gone = [
                await create(c, op, {"region_code": "330502001000", "road": road, "house_number": str(n)})
                for n in (1, 2, 3)
            ]
            r = await c.patch(
                f"{BASE}/{moved['id']}", json={"room": "301"}, headers={**op, "If-Match": '"1"'}
            )
            assert r.status_code == 200, r.text
        async with node.db.writer() as session, session.begin():
            first = (
                await session.execute(
                    select(col(ChangeLog.record_id), col(ChangeLog.snapshot)).where(
                        col(ChangeLog.entity) == "address", col(ChangeLog.version) == 1
                    )
                )
            ).all()
            written = {str(record_id): snap for record_id, snap in first}
            await session.execute(
                update(ChangeLog)
                .where(col(ChangeLog.entity) == "address", col(ChangeLog.version) == 1)
                .values(snapshot=null())
            )
            await session.execute(delete(Address).where(col(Address.id) == uuid.UUID(gone["id"])))
    finally:
        await node.db.dispose()

    await asyncio.to_thread(downgrade, url, "0015")
    db_engine = create_async_engine(url)
    try:
        async with db_engine.connect() as conn:
            assert not await conn.run_sync(_snapshot_nullable)
            rows = (
                await conn.execute(
                    select(col(ChangeLog.record_id), col(ChangeLog.version), col(ChangeLog.snapshot)).where(
                        col(ChangeLog.entity) == "address"
                    )
                )
            ).all()
        logged = {(str(i), v): s for i, v, s in rows}
        if engine == "postgresql":
            assert set(logged) == {(kept["id"], 1), (moved["id"], 2)}
            assert _instants(logged[(kept["id"], 1)]) == _instants(written[kept["id"]])
        else:  # SQLite never writes a change without a snapshot; the downgrade only drops them
            assert set(logged) == {(moved["id"], 2)}
        assert logged[(moved["id"], 2)]["room"] == "301"
        await asyncio.to_thread(upgrade, url)
        async with db_engine.connect() as conn:
            assert await conn.run_sync(_snapshot_nullable)
    finally:
        await db_engine.dispose()
