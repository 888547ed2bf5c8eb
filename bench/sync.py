"""Sync throughput on PostgreSQL: a county database with about N changes of a realistic mix
(households, members with ID and phone numbers sealed under the county's keys, transitions,
payments and their runs, assessments, addresses — bulk-loaded with their change-log rows, see
``bench.sync_seed``), served by a real county server process, pulled into a city database
(keys of its own) through the real HTTP feed by the real puller; as a ratio to a COPY of the
same rows — every table of the mix — from the county database into like-indexed tables of the
city database (COPY TO STDOUT → COPY FROM STDIN, streamed), measured in the same run.

    python -m bench.sync [--changes 1000000] [--page-size 5000] [--batch 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from app.core.config import Settings, SyncPeer
from app.core.db import Database
from app.core.migrations import head_revision, upgrade
from app.reference import load_reference
from app.security.pii import PiiCipher
from app.security.tokens import mint
from app.sync.puller import Progress, Puller
from bench.support import free_port, pg_database, process
from bench.sync_seed import TABLES, MixCounts, seed_mix

COUNTY, CITY = "330502", "330500"
# The county seals personal fields with keys of its own; the city re-seals them with its own.
COUNTY_KEYS = {
    "MZ_PII_KEYS": json.dumps({"wuxing1": base64.b64encode(b"w" * 32).decode()}),
    "MZ_PII_ACTIVE_KEY": "wuxing1",
    "MZ_PII_INDEX_KEY": "wuxing-blind-index-key-for-the-bench",
}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _prepare(url: str, region: str, **overrides: Any) -> Settings:
    await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, node_region=region, env="test", _env_file=None, **overrides)
    db = Database(settings)
    try:
        await load_reference(db, settings)
    finally:
        await db.dispose()
    return settings


async def seed(settings: Settings, changes: int, batch: int) -> MixCounts:
    counts = await seed_mix(settings, changes, batch)
    conn = await asyncpg.connect(_dsn(settings.database_url))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return counts


async def copy_baseline(county_url: str, city_url: str) -> tuple[int, float]:
    """COPY every table of the mix into like-indexed tables of the city database, streamed."""
    src = await asyncpg.connect(_dsn(county_url))
    dst = await asyncpg.connect(_dsn(city_url))
    try:
        for table in TABLES:
            await dst.execute(f"DROP TABLE IF EXISTS bench_copy_{table}")
            await dst.execute(f"CREATE TABLE bench_copy_{table} (LIKE {table} INCLUDING ALL)")
        rows, elapsed = 0, 0.0
        for table in TABLES:
            queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)

            async def sink(chunk: bytes, queue: asyncio.Queue[bytes | None] = queue) -> None:
                await queue.put(bytes(chunk))

            async def chunks(queue: asyncio.Queue[bytes | None] = queue) -> Any:
                while (chunk := await queue.get()) is not None:
                    yield chunk

            async def produce(table: str = table, queue: asyncio.Queue[bytes | None] = queue) -> None:
                try:
                    await src.copy_from_table(table, output=sink)
                finally:
                    await queue.put(None)

            started = time.perf_counter()
            await asyncio.gather(produce(), dst.copy_to_table(f"bench_copy_{table}", source=chunks()))
            elapsed += time.perf_counter() - started
            rows += int(await dst.fetchval(f"SELECT count(*) FROM bench_copy_{table}"))
        for table in TABLES:
            await dst.execute(f"DROP TABLE bench_copy_{table}")
        return rows, elapsed
    finally:
        await src.close()
        await dst.close()


async def main(args: argparse.Namespace) -> None:
    async with pg_database("mzbench_county") as county_url, pg_database("mzbench_city") as city_url:
        # One after the other: alembic's env is global.
        county = await _prepare(
            county_url,
            COUNTY,
            pii_keys=json.loads(COUNTY_KEYS["MZ_PII_KEYS"]),
            pii_active_key=COUNTY_KEYS["MZ_PII_ACTIVE_KEY"],
            pii_index_key=COUNTY_KEYS["MZ_PII_INDEX_KEY"],
        )
        city = await _prepare(city_url, CITY)
        token = mint(county, sub=f"node-{CITY}", roles=["sync"], region=COUNTY)
        port = free_port()
        env = {
            "MZ_DATABASE_URL": county_url,
            "MZ_NODE_REGION": COUNTY,
            "MZ_ENV": "test",
            "MZ_LOG_LEVEL": "WARNING",
            **COUNTY_KEYS,
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
                print(f"seeding about {args.changes} changes at the county …", flush=True)
                counts = await seed(county, args.changes, args.batch)
                await _wait_for_horizon(county_url)
                last = [time.perf_counter()]

                def on_page(progress: Progress) -> None:
                    if time.perf_counter() - last[0] > 5:
                        last[0] = time.perf_counter()
                        print(f"  pulled {progress.received}", flush=True)

                if args.pause:
                    prompt = f"seeded; county server at {base} — press Enter to pull "
                    await asyncio.to_thread(input, prompt)
                started = time.perf_counter()
                record = await _pull(db, settings, pii, peer, on_page)
                pulled_s = time.perf_counter() - started
            finally:
                await db.dispose()
        total = counts.total
        if record.received != total or record.applied != total:
            raise RuntimeError(f"pulled {record.received}, applied {record.applied}, expected {total}")
        await _check_replicas(city_url, counts)
        rows, copy_s = await copy_baseline(county_url, city_url)
        sync_rate, copy_rate = total / pulled_s, rows / copy_s
        mix = ", ".join(f"{name} {n}" for name, n in counts.by_entity.items())
        print(
            f"\nsync benchmark: {total} changes ({mix}), page size {args.page_size}, {record.pages} pages\n"
            f"  sync  {sync_rate:10.0f} records/s  ({pulled_s:.1f} s, server → HTTP feed → puller → city)\n"
            f"  COPY  {copy_rate:10.0f} rows/s     ({copy_s:.1f} s, COPY TO STDOUT → COPY FROM STDIN)\n"
            f"  ratio {sync_rate / copy_rate:.2f}  (target ≥ 0.25)"
        )


async def _check_replicas(city_url: str, counts: MixCounts) -> None:
    """Every record of the mix is at the city, owned by the county, personal fields re-sealed."""
    conn = await asyncpg.connect(_dsn(city_url))
    try:
        for table, expected in counts.by_entity.items():
            held = int(
                await conn.fetchval(f"SELECT count(*) FROM {table} WHERE origin = $1", COUNTY + "000000")
            )
            if held != expected:
                raise RuntimeError(f"the city holds {held} {table} replicas, expected {expected}")
        foreign = await conn.fetchval(
            "SELECT count(*) FROM recipient_member WHERE id_number_enc LIKE 'wuxing1:%'"
        )
        if foreign:
            raise RuntimeError(f"{foreign} members still sealed under the county's key")
    finally:
        await conn.close()


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
    parser.add_argument("--batch", type=int, default=20_000, help="households per seeding transaction")
    parser.add_argument(
        "--pause", action="store_true", help="wait for Enter before the pull (to attach a profiler)"
    )
    asyncio.run(main(parser.parse_args()))
