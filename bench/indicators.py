"""Dashboard of all 32 indicators over the shipped regions, against one plain SQL query.

Creates a PostgreSQL database of its own (UTF8, C.UTF-8, from template0), migrates it, loads
the reference data, seeds a target and two reports (an earlier and a later one) for every
indicator and each of the 79 shipped regions, then times ``GET /api/v1/indicators/dashboard``
for Huzhou down to its townships (the city, 5 counties and 72 townships: every region the
city's indicators apply to) — through the app in-process — against one plain SQL query reading
the same rows: every report of those regions, and the targets of Huzhou and the province (the
dashboard judges the city, which inherits rates and standards from above). Prints both medians
and their ratio, then drops the database.

    python -m bench.indicators [--rounds 40] [--server postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, insert, text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import Database
from app.core.ids import uuid7
from app.core.migrations import upgrade
from app.core.types import utcnow
from app.indicator.models import IndicatorReport, IndicatorTarget
from app.indicator.reference import shipped_rows
from app.indicator.supersession import restitch
from app.main import create_app
from app.reference import load_reference
from app.region.reference import shipped_rows as shipped_regions
from app.security.tokens import mint

SERVER = os.environ.get("MZ_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
PERIOD, AS_OF = "2022", date(2022, 9, 30)
PLAIN_SQL = text(
    """
    SELECT indicator_code, region_code, value, numerator, denominator
      FROM indicator_report
     WHERE period = :period AND as_of <= :as_of AND region_code LIKE '3305%' AND deleted_at IS NULL
    UNION ALL
    SELECT indicator_code, region_code, target, NULL, NULL
      FROM indicator_target
     WHERE period = :period AND region_code IN ('330000000000', '330500000000') AND deleted_at IS NULL
    """
)


def _dsn(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


async def create_database(server: str) -> str:
    name = f"mzbench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(server, "postgres"))
    try:
        await conn.execute(
            f"CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' "
            "TEMPLATE template0"
        )
    finally:
        await conn.close()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    conn = await asyncpg.connect(_dsn(url, "postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")
    finally:
        await conn.close()


def _figures(aggregation: str, scale: int, target: str, k: int, later: bool) -> dict[str, Any]:
    """A figure somewhere around the target, varied by region and report."""
    share = (40 + (k * 37) % 70) + (10 if later else 0)  # 40 %–120 %
    if aggregation == "ratio":
        denominator = 50 + k % 50
        numerator = denominator * share // 100
        return {"numerator": str(numerator), "denominator": str(denominator)}
    whole = int(Decimal(target))
    base = whole if aggregation in {"min", "none"} else max(1, whole // 20)
    return {"value": str(base * share // 100)}


async def seed(db: Database) -> tuple[int, int]:
    regions = [row["code"] for row in shipped_regions()]
    now = utcnow()
    common = {
        "origin": "330000000000",
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "updated_by": "bench",
    }
    targets: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    for row in shipped_rows():
        scale = int(row["scale"] or 1)
        for k, region in enumerate(regions):
            if region != "330500000000":  # the shipped city targets are loaded already
                targets.append(
                    {
                        **common,
                        "id": uuid7(),
                        "region_code": region,
                        "indicator_code": row["code"],
                        "period": PERIOD,
                        "target": row["target"],
                    }
                )
            days = (date(2022, 3, 31), date(2022, 6, 30))
            for as_of, later in ((days[0], False), (days[1], True)):
                reports.append(
                    {
                        **common,
                        "id": uuid7(),
                        "region_code": region,
                        "indicator_code": row["code"],
                        "period": PERIOD,
                        "as_of": as_of,
                        "note": "",
                        "superseded_on": None if later else days[1],
                        "value": None,
                        "numerator": None,
                        "denominator": None,
                        **_figures(row["aggregation"], scale, row["target"], k, later),
                    }
                )
    async with db.writer() as session, session.begin():
        await session.execute(insert(IndicatorTarget), targets)
        await session.execute(insert(IndicatorReport), reports)
        # Seeded past the unit of work, superseded_on set here: the service's own rule must
        # find nothing to change (an UPDATE would also leave dead rows for the plain scan).
        table = IndicatorReport.__table__  # type: ignore[attr-defined]
        changed = await restitch(session, table, table.alias("written"))
        assert changed == 0, f"seeded superseded_on differs from the service's in {changed} reports"
        await session.execute(text("ANALYZE"))
    return len(targets), len(reports)


async def interleaved(
    rounds: int, first: Callable[[], Awaitable[Any]], second: Callable[[], Awaitable[Any]]
) -> tuple[list[float], list[float]]:
    """Both timed ``rounds`` times, one after the other in every round (which goes first
    alternates), so a change in the machine's speed during the run touches both alike."""
    for _ in range(2):
        await first()
        await second()
    times: tuple[list[float], list[float]] = ([], [])
    for n in range(rounds):
        order = ((0, first), (1, second)) if n % 2 == 0 else ((1, second), (0, first))
        for slot, run in order:
            started = time.perf_counter()
            await run()
            times[slot].append(time.perf_counter() - started)
    return times


async def main(rounds: int, server: str) -> None:
    url = await create_database(server)
    try:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, env="test", node_region="330500", _env_file=None)
        db = Database(settings)
        await load_reference(db, settings)
        n_targets, n_reports = await seed(db)
        app = create_app(settings, database=db)
        token = mint(settings, sub="bench", roles=["viewer"], region="330000")
        params = {"period": PERIOD, "region_code": "330500", "as_of": AS_OF.isoformat(), "depth": "township"}
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def dashboard() -> None:
                r = await client.get(
                    "/api/v1/indicators/dashboard",
                    params=params,
                    headers={"Authorization": f"Bearer {token}"},
                )
                r.raise_for_status()
                assert len(r.json()["items"]) == len(shipped_rows())

            async def plain() -> None:
                async with db.reader() as session:
                    rows = (await session.execute(PLAIN_SQL, {"period": PERIOD, "as_of": AS_OF})).all()
                    assert len(rows) == (78 * 2 + 2) * len(shipped_rows())

            event.listen(db.engine.sync_engine, "before_cursor_execute", count)
            await dashboard()
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
            board, baseline = await interleaved(rounds, dashboard, plain)
        await db.dispose()
        board_ms, base_ms = statistics.median(board) * 1000, statistics.median(baseline) * 1000
        regions = len(shipped_regions())
        print(
            f"seeded {n_targets} targets and {n_reports} reports: "
            f"{len(shipped_rows())} indicators x {regions} regions"
        )
        print(f"dashboard (Huzhou down to its 72 townships, HTTP in-process): median {board_ms:.1f} ms")
        print(f"  SQL statements per dashboard: {statements}")
        print(f"plain SQL query reading the same rows: median {base_ms:.1f} ms")
        print(f"ratio dashboard / plain query: {board_ms / base_ms:.1f}x  ({rounds} rounds each)")
    finally:
        await drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument(
        "--server", default=SERVER, help="PostgreSQL server URL (a database is created on it)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.server))
