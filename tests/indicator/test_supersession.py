"""``superseded_on``: every write path keeps it, and the latest report on a day follows it.

The day a later report takes over from a report is kept with the report by the unit of work —
reports created here (backdated, or a second one on the same day), deleted, and applied by sync
from a county with the county's own value, record by record (SQLite) and set-based
(PostgreSQL). The reports that count on a day are then read with one filter."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.core.db import Database
from app.core.ids import uuid7
from app.core.record import restore, snapshot
from app.core.types import utcnow
from app.indicator.models import IndicatorReport
from app.indicator.repository import ReportRepository
from app.indicator.supersession import restitch
from app.ledger.actor import Actor
from app.ledger.unit_of_work import UnitOfWork
from app.models import import_all_models
from tests.conftest import TokenFactory, make_settings
from tests.indicator.helpers import BASE, WUXING, define, find, report

import_all_models()

CITY_NODE, COUNTY_NODE = "330500000000", "330502000000"
TOWN = "330502001000"
TABLE = IndicatorReport.__table__  # type: ignore[attr-defined]
MARCH, JUNE, SEPTEMBER = date(2022, 3, 31), date(2022, 6, 30), date(2022, 9, 30)


def _report(code: str, as_of: date, value: str, **fields: Any) -> IndicatorReport:
    return IndicatorReport(
        indicator_code=code, region_code=TOWN, period="2022", as_of=as_of, value=value, **fields
    )


async def _stored(db: Database) -> dict[uuid.UUID, tuple[date | None, bool]]:
    async with db.reader() as session:
        rows = (await session.execute(select(TABLE.c.id, TABLE.c.superseded_on, TABLE.c.deleted_at))).all()
    return {row.id: (row.superseded_on, row.deleted_at is not None) for row in rows}


async def _counting(db: Database, code: str, day: date) -> list[str]:
    async with db.reader() as session:
        rows = await ReportRepository(session).latest([code], "2022", [TOWN], day)
    return [row[2] for row in rows]


async def test_reports_written_here_keep_the_day_they_were_superseded(fresh_db: Callable[..., Any]) -> None:
    db = Database(make_settings(await fresh_db(), node_region="330500"))
    actor = Actor.system("test", CITY_NODE)
    try:
        async with db.writer() as session, session.begin():
            uow = UnitOfWork(session, actor, node_region=CITY_NODE)
            june = await uow.create(_report("a", JUNE, "10"))
            march = await uow.create(_report("a", MARCH, "5"))  # backdated: written after June's
            again = await uow.create(_report("a", JUNE, "12"))  # the same day, written later
            other = await uow.create(_report("b", MARCH, "1"))  # another indicator: its own line
        stored = await _stored(db)
        assert stored[march.id] == (JUNE, False)
        assert stored[june.id] == (JUNE, False)  # the report written later that day took over
        assert stored[again.id] == (None, False)
        assert stored[other.id] == (None, False)
        assert await _counting(db, "a", date(2022, 3, 1)) == []
        assert await _counting(db, "a", date(2022, 4, 15)) == ["5"]
        assert await _counting(db, "a", SEPTEMBER) == ["12"]

        async with db.writer() as session, session.begin():
            uow = UnitOfWork(session, actor, node_region=CITY_NODE)
            record = await session.get(IndicatorReport, again.id)
            assert record is not None
            await uow.delete(record, expected_version=1)
        stored = await _stored(db)
        assert stored[june.id] == (None, False)  # June's own report counts again
        assert await _counting(db, "a", SEPTEMBER) == ["10"]

        async with db.writer() as session, session.begin():
            # every report's value is what the rule gives: nothing left to change
            assert await restitch(session, TABLE, TABLE.alias("written")) == 0
    finally:
        await db.dispose()


def _from_county(
    record_id: uuid.UUID, as_of: date, value: str, version: int, **fields: Any
) -> dict[str, Any]:
    now = utcnow()
    record = IndicatorReport(
        id=record_id,
        indicator_code="c",
        region_code=TOWN,
        period="2022",
        as_of=as_of,
        value=value,
        origin=COUNTY_NODE,
        version=version,
        created_at=now - timedelta(days=1),
        updated_at=now,
        updated_by="county clerk",
        **fields,
    )
    return snapshot(record)


async def _apply(db: Database, snapshots: list[dict[str, Any]]) -> None:
    async with db.writer() as session, session.begin():
        uow = UnitOfWork(session, Actor.system("sync:test", CITY_NODE), node_region=CITY_NODE)
        if uow.is_postgres:
            await uow.replicate_snapshots(IndicatorReport, snapshots)
        else:
            for data in snapshots:
                await uow.replicate(IndicatorReport, restore(IndicatorReport, data))


async def test_reports_applied_by_sync_one_by_one_are_restitched_here(fresh_db: Callable[..., Any]) -> None:
    await _synced(Database(make_settings(await fresh_db("sqlite"), node_region="330500")))


@pytest.mark.postgres
async def test_reports_applied_by_sync_set_based_are_restitched_here(
    require_pg: str, fresh_db: Callable[..., Any]
) -> None:
    await _synced(Database(make_settings(await fresh_db("postgresql"), node_region="330500")))


async def _synced(db: Database) -> None:
    march_id, june_id = uuid7(), uuid7()
    try:
        # The county's snapshots carry the county's values, here deliberately wrong.
        await _apply(
            db,
            [
                _from_county(march_id, MARCH, "5", 1, superseded_on=None),
                _from_county(june_id, JUNE, "9", 1, superseded_on=date(2022, 1, 1)),
            ],
        )
        stored = await _stored(db)
        assert stored[march_id] == (JUNE, False)
        assert stored[june_id] == (None, False)
        assert await _counting(db, "c", SEPTEMBER) == ["9"]

        # The county deletes June's report: the tombstone arrives and March's counts again.
        await _apply(db, [_from_county(june_id, JUNE, "9", 2, deleted_at=datetime(2022, 7, 1).astimezone())])
        stored = await _stored(db)
        assert stored[june_id][1] is True
        assert stored[march_id] == (None, False)
        assert await _counting(db, "c", SEPTEMBER) == ["5"]
    finally:
        await db.dispose()


async def test_the_latest_report_on_a_day_over_http(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    admin = auth("admin")
    code = (await define(client, admin))["code"]
    await report(client, admin, code, WUXING, "2022-06-30", value="10")
    await report(client, admin, code, WUXING, "2022-03-31", value="5")
    await report(client, admin, code, WUXING, "2022-06-30", value="12")

    async def actual(day: str) -> str | None:
        params = {"period": "2022", "region_code": "330502", "as_of": day}
        r = await client.get(f"{BASE}/{code}/progress", params=params, headers=admin)
        assert r.status_code == 200, r.text
        value: str | None = find(r.json()["tree"], WUXING)["actual"]
        return value

    assert await actual("2022-03-01") is None
    assert await actual("2022-04-15") == "5"
    assert await actual("2022-07-01") == "12"
