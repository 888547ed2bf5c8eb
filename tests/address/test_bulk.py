"""The PostgreSQL bulk path on a database of its own: the change-log rows it writes set-based
carry no snapshot, the row the feed serves in its place has the shape of the one-by-one
path's snapshot, and the import leaves one audit event."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from pydantic_core import from_json
from sqlalchemy import func, select, text
from sqlmodel import col

from app.address import bulk, importer
from app.address.models import Address
from app.core.db import Database
from app.core.record import snapshot
from app.ledger.changelog import ChangeLog
from app.ledger.models import AuditEvent
from app.ledger.unit_of_work import UnitOfWork
from app.reference import load_reference
from app.security.principal import Principal
from tests.conftest import make_settings

ROWS = [
    "330502001000,人民路,1,,,,",
    "330502001000,人民路,1,凤凰小区,3,2,301",
    "330502001000,人民路,1,凤凰小区,3,2,302",
    "330502001000,,,凤凰小区,4,1,101",
    "330502100000,人民路,1,,,,",
]


def _instants(record: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with its timestamps as instants: PostgreSQL writes ``.81448`` where Python
    writes ``.814480``; both are the same moment to every reader."""
    out = dict(record)
    for key, value in record.items():
        if key.endswith("_at") and isinstance(value, str):
            out[key] = datetime.fromisoformat(value)
    return out


async def test_bulk_path_logs_every_row_like_the_unit_of_work(
    require_pg: str, fresh_db: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "ANALYZE_AFTER", 5)  # a large import refreshes the statistics
    url = await fresh_db("postgresql")
    settings = make_settings(url)
    db = Database(settings)
    try:
        await load_reference(db, settings)
        body = "region_code,road,house_number,compound,building,unit,room\n" + "\n".join(ROWS)
        principal = Principal(sub="importer", roles=("operator",), region="330502")
        async with db.writer() as session, session.begin():
            uow = UnitOfWork(session, principal.actor(), node_region=settings.node_region)
            assert uow.is_postgres
            report = await importer.import_file(uow, principal, io.BytesIO(body.encode()))
        assert (report.inserted, report.rejected) == (5, 0), report
        async with db.reader() as session:
            addresses = (await session.execute(select(Address))).scalars().all()
            logs = (
                (await session.execute(select(ChangeLog).where(col(ChangeLog.entity) == "address")))
                .scalars()
                .all()
            )
            await session.execute(text("SET LOCAL TimeZone = 'UTC'"))
            served = {
                r.id: from_json(r.data)
                for r in await session.execute(text("SELECT a.id, to_jsonb(a)::text AS data FROM address a"))
            }
            analysed = (
                await session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'address'"))
            ).scalar_one()
            events = (
                await session.execute(
                    select(col(AuditEvent.action), func.count()).group_by(col(AuditEvent.action))
                )
            ).all()
        assert len(addresses) == 5
        assert analysed == 5
        by_id = {log.record_id: log for log in logs}
        assert len(by_id) == 5
        for address in addresses:
            log = by_id[address.id]
            assert (log.op, log.version, log.origin) == ("upsert", 1, settings.node_region)
            assert log.xid is not None
            assert log.snapshot is None
            assert _instants(served[address.id]) == _instants(snapshot(address))
        assert {a: n for a, n in events if a.startswith("address")} == {"address.import": 1}
        assert len({a.address_code for a in addresses}) == 5
        assert len({a.plate_code for a in addresses}) == 5
    finally:
        await db.dispose()
