"""Revision 0015 gives the reports a node already holds their ``superseded_on``, by the rule the
unit of work keeps afterwards (a later ``as_of``, then written later, then a larger id; deleted
reports supersede nothing); the downgrade drops the column."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.migrations import downgrade, upgrade
from app.indicator.models import IndicatorReport

MODEL: Table = IndicatorReport.__table__  # type: ignore[attr-defined]

T1, T2 = datetime(2022, 7, 1, tzinfo=UTC), datetime(2022, 7, 2, tzinfo=UTC)


def _report(code: str, as_of: date, written: datetime, *, deleted: bool = False) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "region_code": "330502001000",
        "origin": "330500000000",
        "version": 1,
        "created_at": written,
        "updated_at": written,
        "updated_by": "test",
        "deleted_at": written if deleted else None,
        "indicator_code": code,
        "period": "2022",
        "as_of": as_of,
        "value": "1",
        "note": "",
    }


async def _table(conn: Any) -> Table:
    meta = MetaData()
    await conn.run_sync(lambda c: meta.reflect(c, only=["indicator_report"]))
    return meta.tables["indicator_report"]


async def test_existing_reports_get_their_superseded_on(fresh_db: Callable[..., Any]) -> None:
    url = await fresh_db(migrate=False)
    await asyncio.to_thread(upgrade, url, "0014")
    march = _report("a", date(2022, 3, 31), T2)
    june = _report("a", date(2022, 6, 30), T1)
    june_later = _report("a", date(2022, 6, 30), T2)
    september_deleted = _report("a", date(2022, 9, 30), T2, deleted=True)
    alone = _report("b", date(2022, 3, 31), T1)
    rows = [march, june, june_later, september_deleted, alone]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            # only the columns revision 0014 has; the model's types store ids as each engine does
            await conn.execute(insert(MODEL), rows)
        await asyncio.to_thread(upgrade, url)
        async with engine.connect() as conn:
            stored = dict((await conn.execute(select(MODEL.c.id, MODEL.c.superseded_on))).all())
        assert stored[march["id"]] == date(2022, 6, 30)
        assert stored[june["id"]] == date(2022, 6, 30)  # the same day, written later
        assert stored[june_later["id"]] is None  # the deleted September report counts for nothing
        assert stored[alone["id"]] is None
        await asyncio.to_thread(downgrade, url, "0014")
        async with engine.connect() as conn:
            assert "superseded_on" not in (await _table(conn)).c
    finally:
        await engine.dispose()
