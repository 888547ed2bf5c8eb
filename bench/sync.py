"""Sync throughput on PostgreSQL: a county database with N changes (households, bulk-loaded
with their change-log rows), served by a real county server process, pulled into a city
database through the real HTTP feed by the real puller; as a ratio to a COPY of the same rows
from the county database into a table of the city database (COPY TO STDOUT → COPY FROM STDIN,
streamed), measured in the same run.

    python -m bench.sync [--changes 1000000] [--page-size 5000] [--batch 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.engine import make_url

from app.core.config import Settings, SyncPeer
from app.core.db import Database
from app.core.migrations import head_revision, upgrade
from app.ledger.actor import Actor
from app.ledger.unit_of_work import UnitOfWork
from app.recipient.models import Household
from app.reference import load_reference
from app.security.pii import PiiCipher
from app.security.tokens import mint
from app.sync.puller import Progress, Puller
from bench.support import free_port, pg_database, process

COUNTY, CITY = "330502", "330500"
TOWNSHIPS = ["330502001000", "330502002000", "330502003000", "330502100000"]
COLUMNS = [
    "id",
    "region_code",
    "category",
    "status",
    "monthly_income_fen",
    "member_count",
    "head_name",
    "address_text",
    "applied_on",
]


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _prepare(url: str, region: str) -> Settings:
    await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, node_region=region, env="test", _env_file=None)
    db = Database(settings)
    try:
        await load_reference(db, settings)
    finally:
        await db.dispose()
    return settings


async def seed(settings: Settings, changes: int, batch: int) -> None:
    """``changes`` new households, each with its change-log row, ``batch`` per transaction."""
    db = Database(settings)
    actor = Actor.system("bench", settings.node_region)
    done = 0
    try:
        while done < changes:
            n = min(batch, changes - done)
            i = func.generate_series(1, n).column_valued("i")
            townships = array(TOWNSHIPS)
            source = select(
                func.gen_random_uuid().label("id"),
                townships[(i % len(TOWNSHIPS)) + 1].label("region_code"),
                literal("dibao").label("category"),
                literal("approved").label("status"),
                (i * 7 % 400000).label("monthly_income_fen"),
                (i % 4 + 1).label("member_count"),
                func.concat("户主", i).label("head_name"),
                func.concat("吴兴区测试路", i, "号").label("address_text"),
                literal(date(2024, 1, 1)).label("applied_on"),
            )
            async with db.writer() as session, session.begin():
                uow = UnitOfWork(session, actor, node_region=settings.node_region)
                done += await uow.bulk_create(Household, COLUMNS, source, action="bench_seed")
            print(f"  seeded {done}/{changes}", flush=True)
    finally:
        await db.dispose()
    conn = await asyncpg.connect(_dsn(settings.database_url))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def copy_baseline(county_url: str, city_url: str) -> tuple[int, float]:
    """COPY the county's households into a like-indexed table of the city database, streamed."""
    src = await asyncpg.connect(_dsn(county_url))
    dst = await asyncpg.connect(_dsn(city_url))
    try:
        await dst.execute("DROP TABLE IF EXISTS bench_copy")
        await dst.execute("CREATE TABLE bench_copy (LIKE recipient_household INCLUDING ALL)")
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)

        async def sink(chunk: bytes) -> None:
            await queue.put(bytes(chunk))

        async def chunks() -> Any:
            while (chunk := await queue.get()) is not None:
                yield chunk

        async def produce() -> None:
            try:
                await src.copy_from_table("recipient_household", output=sink)
            finally:
                await queue.put(None)

        started = time.perf_counter()
        await asyncio.gather(produce(), dst.copy_to_table("bench_copy", source=chunks()))
        elapsed = time.perf_counter() - started
        rows = int(await dst.fetchval("SELECT count(*) FROM bench_copy"))
        await dst.execute("DROP TABLE bench_copy")
        return rows, elapsed
    finally:
        await src.close()
        await dst.close()


async def main(args: argparse.Namespace) -> None:
    async with pg_database("mzbench_county") as county_url, pg_database("mzbench_city") as city_url:
        county = await _prepare(county_url, COUNTY)  # one after the other: alembic's env is global
        city = await _prepare(city_url, CITY)
        token = mint(county, sub=f"node-{CITY}", roles=["sync"], region=COUNTY)
        port = free_port()
        env = {
            "MZ_DATABASE_URL": county_url,
            "MZ_NODE_REGION": COUNTY,
            "MZ_ENV": "test",
            "MZ_LOG_LEVEL": "WARNING",
        }
        args_serve = ["-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"]
        with process([sys.executable, *args_serve], env, port, ready_path="/readyz") as base:
            peer = SyncPeer(name="county", base_url=base, relation="child", token=token)
            settings = city.model_copy(update={"sync_peers": [peer], "sync_page_size": args.page_size})
            db = Database(settings)
            pii = PiiCipher.from_settings(settings)
            try:
                # An empty first pull (a full resync of nothing) sets the feed cursor.
                await _pull(db, settings, pii, peer)
                print(f"seeding {args.changes} changes at the county …", flush=True)
                await seed(county, args.changes, args.batch)
                await _wait_for_horizon(county_url)
                last = [time.perf_counter()]

                def on_page(progress: Progress) -> None:
                    if time.perf_counter() - last[0] > 5:
                        last[0] = time.perf_counter()
                        print(f"  pulled {progress.received}", flush=True)

                started = time.perf_counter()
                record = await _pull(db, settings, pii, peer, on_page)
                pulled_s = time.perf_counter() - started
            finally:
                await db.dispose()
        if record.received != args.changes or record.applied != args.changes:
            raise RuntimeError(f"pulled {record.received}, applied {record.applied}, expected {args.changes}")
        city_conn = await asyncpg.connect(_dsn(city_url))
        try:
            replicas = int(
                await city_conn.fetchval(
                    "SELECT count(*) FROM recipient_household WHERE origin = $1", COUNTY + "000000"
                )
            )
        finally:
            await city_conn.close()
        if replicas != args.changes:
            raise RuntimeError(f"the city holds {replicas} replicas, expected {args.changes}")
        rows, copy_s = await copy_baseline(county_url, city_url)
        sync_rate, copy_rate = args.changes / pulled_s, rows / copy_s
        print(
            f"\nsync benchmark: {args.changes} changes (households), page size {args.page_size}, "
            f"{record.pages} pages\n"
            f"  sync  {sync_rate:10.0f} records/s  ({pulled_s:.1f} s, server → HTTP feed → puller → city)\n"
            f"  COPY  {copy_rate:10.0f} rows/s     ({copy_s:.1f} s, COPY TO STDOUT → COPY FROM STDIN)\n"
            f"  ratio {sync_rate / copy_rate:.2f}  (target ≥ 0.25)"
        )


async def _wait_for_horizon(url: str) -> None:
    """The feed serves a transaction's rows once every older transaction on the server has
    ended; wait for that (another database's long transaction holds the horizon back)."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        for waited in range(600):
            if await conn.fetchval(
                "SELECT pg_snapshot_xmin(pg_current_snapshot()) > (SELECT max(xid) FROM change_log)"
            ):
                if waited:
                    print(f"  waited {waited * 0.1:.1f} s for older transactions on the server", flush=True)
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("a transaction on the server holds the feed horizon back for over a minute")
    finally:
        await conn.close()


async def _pull(db: Database, settings: Settings, pii: PiiCipher, peer: SyncPeer, on_page: Any = None) -> Any:
    puller = Puller(db, settings, pii, peer, schema_version=head_revision(), on_page=on_page)
    try:
        return await puller.pull()
    finally:
        await puller.client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100_000)
    asyncio.run(main(parser.parse_args()))
