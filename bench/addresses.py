"""Address register on PostgreSQL: bulk import, match and search.

``python -m bench.addresses [--rows N] [--queries Q]`` (default 1,000,000 rows, 300 queries)
creates a database of its own on ``MZ_BENCH_PG_URL`` (default the local server), and drops it
at the end. It

1. writes N synthetic addresses to a CSV file (:func:`tools.address_synthetic.bulk_rows`);
2. times a plain ``COPY`` of that file into a bare table — the baseline;
3. times ``python -m app import addresses FILE`` (the service's import path: COPY into staging,
   checks, code allocation, INSERT … SELECT with change-log rows, one audit event) in a child
   process, and reads that process's peak RSS;
4. times Q matches of noisy free text and Q searches, against a primary-key look-up as the
   latency baseline.

It prints the import throughput as a ratio to the plain COPY (target ≥ 0.5) and the p50/p95
latencies (target: match p95 < 30 ms). Then

5. the matching accuracy per category of both evaluation sets (the hand-written
   ``tests/data/addresses_handwritten.csv`` and the synthetic ``tests/data/address_eval.csv``),
   each on a fresh SQLite file and a fresh PostgreSQL database (target ≥ 0.97 top-1 on both, the
   same first candidate on both). ``--accuracy-only`` runs this step alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlmodel import col

from app.address import evaluation, service
from app.address.components import full_name, normalize_components
from app.address.models import Address
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.core.pagination import CursorCodec, PageParams
from app.reference import load_reference
from app.security.principal import Principal
from tools.address_synthetic import CSV_COLUMNS, bulk_rows, region_names, region_path, to_csv

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
EVAL_SETS = ("addresses_handwritten.csv", "address_eval.csv")
SERVER = os.environ.get("MZ_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _create_database() -> str:
    name = f"mzbench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_dsn(SERVER, "postgres"))
    try:
        await conn.execute(
            f"CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' "
            "TEMPLATE template0"
        )
    finally:
        await conn.close()
    return make_url(SERVER).set(database=name).render_as_string(hide_password=False)


async def _drop_database(url: str) -> None:
    conn = await asyncpg.connect(_dsn(SERVER, "postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")
    finally:
        await conn.close()


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        for chunk in to_csv(bulk_rows(rows)):
            f.write(chunk)


async def plain_copy(url: str, path: Path) -> float:
    conn = await asyncpg.connect(_dsn(url))
    try:
        columns = ", ".join(f"{c} text" for c in CSV_COLUMNS)
        await conn.execute(f"CREATE TABLE bench_plain ({columns})")
        started = time.perf_counter()
        await conn.copy_to_table("bench_plain", source=str(path), format="csv", header=True)
        elapsed = time.perf_counter() - started
        await conn.execute("DROP TABLE bench_plain")
    finally:
        await conn.close()
    return elapsed


async def indexed_floor(url: str) -> float:
    """What writing the same rows costs the database alone: the register's table shape and
    indexes (trigram GIN included), no change log, no checks."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("CREATE TABLE bench_floor (LIKE address INCLUDING ALL)")
        started = time.perf_counter()
        await conn.execute("INSERT INTO bench_floor SELECT * FROM address")
        elapsed = time.perf_counter() - started
        await conn.execute("DROP TABLE bench_floor")
    finally:
        await conn.close()
    return elapsed


def import_in_child(url: str, path: Path) -> tuple[float, float, str]:
    """Wall time, peak RSS (MiB) and output of ``python -m app import addresses``."""
    env = {
        **os.environ,
        "MZ_DATABASE_URL": url,
        "MZ_NODE_REGION": "330500",
        "MZ_DB_STATEMENT_TIMEOUT_MS": "0",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "app", "import", "addresses", str(path), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kib / 1024, done.stdout.strip()


def noisy_text(
    row: dict[str, str], regions: dict[str, tuple[str, str, str | None]], rng: random.Random
) -> str:
    township = regions[row["region_code"]][0]
    county = regions[regions[row["region_code"]][2] or ""][0]
    # the township is always there: place names repeat from one township to the next
    prefix = rng.choice((township, county + township, "湖州市" + county + township))
    place = row["road"] + (row["house_number"] + "号" if row["house_number"] else "") or row["compound"]
    building = row["building"] + rng.choice(("幢", "栋", "号楼"))
    room = rng.choice((f"{row['unit']}单元{row['room']}室", f"{row['unit']}单元{row['room']}"))
    noise = rng.choice(("", "附近", " 13812345678", " 找张三"))
    return f"{prefix}{place}{building}{room}{noise}"


async def _latencies(run: Callable[[int], Awaitable[Any]], count: int) -> list[float]:
    out = []
    for i in range(count):
        started = time.perf_counter()
        await run(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def queries(url: str, rows: int, count: int) -> dict[str, list[float]]:
    settings = Settings(database_url=url, node_region="330500", _env_file=None)
    db = Database(settings)
    rng = random.Random(11)
    regions = region_names()
    step = max(1, rows // count)
    sample = [row for i, row in enumerate(bulk_rows(rows)) if i % step == 0][:count]
    texts = [noisy_text(row, regions, rng) for row in sample]
    expected = [
        full_name(region_path(row["region_code"], regions), normalize_components(dict(row))) for row in sample
    ]
    terms = [
        (row["road"] + row["house_number"] + "号 " if row["road"] else row["compound"] + " ")
        + f"{row['building']}幢{row['unit']}单元{row['room']}室"
        for row in sample
    ]
    principal = Principal(sub="bench", roles=("admin",), region="330500")
    codec = CursorCodec("bench")
    found = 0
    try:
        async with db.reader() as session:
            ids = list((await session.execute(select(col(Address.id)).limit(count))).scalars().all())

            async def by_id(i: int) -> None:
                await session.execute(select(Address).where(col(Address.id) == ids[i % len(ids)]))

            async def match(i: int) -> None:
                nonlocal found
                result = await service.match(session, principal, settings.node_region, [texts[i]], 5)
                top = result[0].candidates
                found += bool(top) and top[0].address.full_name == expected[i]

            async def search(i: int) -> None:
                params = PageParams(limit=20, after=None, count=False, codec=codec)
                await service.list_addresses(session, principal, params, q=terms[i])

            await match(0)  # warm the gazetteer and the statement caches
            found = 0
            result = {
                "primary-key look-up": await _latencies(by_id, count),
                "match": await _latencies(match, count),
                "search": await _latencies(search, count),
            }
    finally:
        await db.dispose()
    print(f"match: the right address first for {found}/{count} texts")
    return result


async def _evaluate_in(url: str, engine: str, path: Path) -> tuple[Any, Any]:
    await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, node_region="330500", _env_file=None)
    db = Database(settings)
    register_path = evaluation.register_for(path)
    assert register_path is not None
    register = register_path.read_bytes()
    try:
        await load_reference(db, settings)
        imported = await evaluation.build_register(db, settings, register)
        names = await evaluation.register_names(db, register)
        report = await evaluation.evaluate(db, settings, evaluation.load_cases(path), names, engine)
    finally:
        await db.dispose()
    return report, imported


async def accuracy() -> None:
    """Per-category accuracy of each evaluation set on SQLite and on PostgreSQL."""
    for name in EVAL_SETS:
        path = DATA / name
        folder = Path(tempfile.mkdtemp(prefix="mzbench-eval-"))
        pg = await _create_database()
        try:
            started = time.perf_counter()
            sqlite = await _evaluate_in(f"sqlite+aiosqlite:///{folder / 'eval.db'}", "sqlite", path)
            postgres = await _evaluate_in(pg, "postgresql", path)
            cases = evaluation.load_cases(path)
            reports, imported = [sqlite[0], postgres[0]], [sqlite[1], postgres[1]]
            print(f"\n== {name} ({time.perf_counter() - started:.1f} s)")
            print(evaluation.format_report(cases, reports, imported, misses=10))
        finally:
            await _drop_database(pg)
            await asyncio.to_thread(shutil.rmtree, folder, True)
    print("target: top-1 >= 0.97 on both engines, no text whose first candidate differs")


async def main(rows: int, count: int) -> None:
    url = await _create_database()
    folder = Path(tempfile.mkdtemp(prefix="mzbench-"))
    path = folder / "addresses.csv"
    try:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, node_region="330500", _env_file=None)
        db = Database(settings)
        await load_reference(db, settings)
        await db.dispose()
        started = time.perf_counter()
        await asyncio.to_thread(write_csv, path, rows)
        size = path.stat().st_size / 1024 / 1024
        print(f"rows: {rows:,} ({size:.1f} MiB CSV, written in {time.perf_counter() - started:.1f} s)")

        baseline = await plain_copy(url, path)
        elapsed, peak, output = await asyncio.to_thread(import_in_child, url, path)
        print(f"plain COPY into a bare table: {baseline:.2f} s ({rows / baseline:,.0f} rows/s)")
        print(f"import path: {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s) — {output.splitlines()[0]}")
        print(f"import throughput / plain COPY: {baseline / elapsed:.3f} (target >= 0.5)")
        print(f"import process peak RSS: {peak:.0f} MiB")

        floor = await indexed_floor(url)
        print(
            f"floor: INSERT … SELECT of the imported rows into a copy of the address table with its "
            f"indexes: {floor:.2f} s; import / floor: {floor / elapsed:.3f}"
        )

        latencies = await queries(url, rows, count)
        base = statistics.median(latencies["primary-key look-up"])
        for name, values in latencies.items():
            p50, p95 = _p(values, 0.5), _p(values, 0.95)
            print(f"{name:>20}: p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  (p50 / look-up p50: {p50 / base:6.1f})")
        print("target: match p95 < 30 ms")
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        await _drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--accuracy-only", action="store_true", help="only the evaluation sets")
    args = parser.parse_args()
    if not args.accuracy_only:
        asyncio.run(main(args.rows, args.queries))
    asyncio.run(accuracy())
