"""Address register on PostgreSQL: bulk import, and match over HTTP.

``python -m bench.addresses [--rows N] [--rss-rows M] [--requests Q] [--clients C]`` (default
1,000,000 rows, 100,000 for the memory check, 1,600 requests of each kind, 16 clients)
creates databases of its own on ``MZ_BENCH_PG_URL`` (default the local server), and drops them
at the end. It

1. writes N synthetic addresses to a CSV file (:func:`tools.address_synthetic.bulk_rows`);
2. times a plain ``COPY`` of that file into a bare table (for reference);
3. times ``python -m app import addresses FILE`` (the service's import path: COPY into staging,
   checks, code allocation, INSERT … SELECT with change-log rows, one audit event) in a child
   process, and reads that process's peak RSS; the same for the first M rows into a database
   of their own, so the two peaks show whether memory stays flat as the file grows;
4. times the floor: ``INSERT … SELECT`` of the imported rows into a copy of the address table
   with all its indexes (target: import throughput ≥ 0.5 of the floor's);
5. starts ``python -m app serve`` (one worker) on the imported register and sends, from C
   concurrent keep-alive clients with a viewer's token, rounds of ``GET /api/v1/addresses/{id}``
   (the baseline), ``POST /api/v1/addresses/match`` with noisy free text (the real matcher), and
   ``GET /api/v1/addresses?q=`` (search), one kind at a time; it prints p50/p95 of each and the
   ratio of the match p95 to the GET p95 (target ≤ 3).

Then

6. the matching accuracy per category of both evaluation sets (the hand-written
   ``tests/data/addresses_handwritten.csv`` and the synthetic ``tests/data/address_eval.csv``),
   each on a fresh SQLite file and a fresh PostgreSQL database (target ≥ 0.97 top-1 on both, the
   same first candidate on both). ``--accuracy-only`` runs this step alone.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.address import evaluation
from app.address.components import full_name, normalize_components
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.reference import load_reference
from app.security.tokens import mint
from bench.support import free_port, started_process
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
    """Wall time, peak RSS (MiB) of that process alone, and output of ``python -m app import
    addresses``."""
    env = {
        **os.environ,
        "MZ_DATABASE_URL": url,
        "MZ_NODE_REGION": "330500",
        "MZ_DB_STATEMENT_TIMEOUT_MS": "0",
    }
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "app", "import", "addresses", str(path), "--quiet"],
            env=env,
            stdout=out,
            stderr=err,
            text=True,
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise RuntimeError(err.read()[-3000:])
        return elapsed, usage.ru_maxrss / 1024, out.read().strip()


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


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ignore(i: int, body: Any) -> None:
    pass


def _offset(check: Callable[[int, Any], None], offset: int, i: int, body: Any) -> None:
    check(offset + i, body)


Request = tuple[str, str, dict[str, Any]]  # method, path, keyword arguments of httpx


async def _clients(
    client: httpx.AsyncClient, requests: list[Request], clients: int, check: Callable[[int, Any], None]
) -> list[float]:
    """Send ``requests`` from ``clients`` concurrent loops; each request's latency in ms."""
    out: list[float] = []
    queue = iter(enumerate(requests))

    async def loop() -> None:
        for i, (method, path, kwargs) in queue:
            started = time.perf_counter()
            try:
                response = await client.request(method, path, **kwargs)
            except httpx.TransportError:
                # a keep-alive connection the server closed as the request went out: once more
                # (the time of the failed attempt counts)
                response = await client.request(method, path, **kwargs)
            out.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
            check(i, response.json())

    await asyncio.gather(*(loop() for _ in range(clients)))
    return out


async def _sample(url: str, rows: int, count: int) -> tuple[list[str], list[str], list[str], list[str]]:
    """Ids of addresses spread over the register, and for ``count`` of the imported rows a noisy
    text naming it, its standard name, and a search term."""
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
    conn = await asyncpg.connect(_dsn(url))
    try:
        ids = [
            str(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM address TABLESAMPLE SYSTEM (5) REPEATABLE (7) LIMIT $1", count
            )
        ]
    finally:
        await conn.close()
    return ids, texts, expected, terms


async def http_match(url: str, rows: int, count: int, clients: int, rounds: int) -> dict[str, list[float]]:
    """Latencies of GET by id, match and search over HTTP, ``clients`` at a time, one kind at a
    time, in ``rounds`` alternating rounds (machine load drifts; every kind sees all of it)."""
    ids, texts, expected, terms = await _sample(url, rows, count)
    settings = Settings(database_url=url, _env_file=None)
    token = mint(settings, sub="bench", roles=["viewer"], region="330500")
    headers = {"Authorization": f"Bearer {token}"}
    kinds: dict[str, list[Request]] = {
        "GET by id": [("GET", f"/api/v1/addresses/{i}", {}) for i in ids],
        "match": [("POST", "/api/v1/addresses/match", {"json": {"text": t, "limit": 5}}) for t in texts],
        "search": [("GET", "/api/v1/addresses", {"params": {"q": t, "limit": 20}}) for t in terms],
    }
    found = 0

    def right_first(i: int, body: Any) -> None:
        nonlocal found
        top = body["candidates"]
        found += bool(top) and top[0]["address"]["full_name"] == expected[i]

    checks: dict[str, Callable[[int, Any], None]] = {"match": right_first}
    port = free_port()
    env = {
        "MZ_DATABASE_URL": url,
        "MZ_ENV": "test",
        "MZ_NODE_REGION": "330500",
        "MZ_LOG_LEVEL": "WARNING",
        "MZ_DB_POOL_SIZE": str(clients),
    }
    args = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", "1"]
    out: dict[str, list[float]] = {name: [] for name in kinds}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    log = Path(tempfile.gettempdir()) / f"mzbench-addresses-serve-{port}.log"
    print(f"server log: {log}")
    with started_process(args, env, port, keep_log=log) as (base, _server):
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120, limits=limits) as client:
            for requests in kinds.values():  # warm up: statement caches, gazetteer
                await _clients(client, requests[: 4 * clients], clients, _ignore)
            per_round = -(-count // rounds)
            for r in range(rounds):
                for name, requests in kinds.items():
                    part = requests[r * per_round : (r + 1) * per_round]
                    check = functools.partial(_offset, checks.get(name, _ignore), r * per_round)
                    out[name] += await _clients(client, part, clients, check)
    print(f"match over HTTP: the right address first for {found}/{len(texts)} texts")
    return out


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


async def _fresh_register() -> str:
    url = await _create_database()
    await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, node_region="330500", _env_file=None)
    db = Database(settings)
    await load_reference(db, settings)
    await db.dispose()
    return url


async def main(args: argparse.Namespace) -> None:
    rows = args.rows
    url = await _fresh_register()
    small = await _fresh_register()
    folder = Path(tempfile.mkdtemp(prefix="mzbench-"))
    path, small_path = folder / "addresses.csv", folder / "addresses-small.csv"
    try:
        started = time.perf_counter()
        await asyncio.to_thread(write_csv, path, rows)
        await asyncio.to_thread(write_csv, small_path, args.rss_rows)
        size = path.stat().st_size / 1024 / 1024
        print(f"rows: {rows:,} ({size:.1f} MiB CSV, written in {time.perf_counter() - started:.1f} s)")
        print(f"load average before: {os.getloadavg()[0]:.1f}")

        copied = await plain_copy(url, path)
        print(f"plain COPY into a bare table: {copied:.2f} s ({rows / copied:,.0f} rows/s)")
        small_elapsed, small_peak, _ = await asyncio.to_thread(import_in_child, small, small_path)
        await _drop_database(small)
        elapsed, peak, output = await asyncio.to_thread(import_in_child, url, path)
        print(f"import path: {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s) — {output.splitlines()[0]}")
        print(f"import throughput / plain COPY: {copied / elapsed:.3f}")
        floor = await indexed_floor(url)
        print(
            f"floor: INSERT … SELECT of the imported rows into a copy of the address table with its "
            f"indexes: {floor:.2f} s ({rows / floor:,.0f} rows/s)"
        )
        print(f"import throughput / floor: {floor / elapsed:.3f} (target >= 0.5)")
        print(
            f"import process peak RSS: {peak:.0f} MiB at {rows:,} rows, {small_peak:.0f} MiB at "
            f"{args.rss_rows:,} rows ({small_elapsed:.1f} s); ratio {peak / small_peak:.2f} (target <= 1.10)"
        )
        print(f"load average after the import: {os.getloadavg()[0]:.1f}")

        latencies = await http_match(url, rows, args.requests, args.clients, args.rounds)
        base = _p(latencies["GET by id"], 0.95)
        print(f"over HTTP, {args.clients} clients, one worker:")
        for name, values in latencies.items():
            p50, p95 = _p(values, 0.5), _p(values, 0.95)
            ratio = p95 / base
            print(f"{name:>12}: p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  (p95 / GET by id p95: {ratio:5.2f})")
        print("target: match p95 <= 3 x GET by id p95")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        await _drop_database(url)
        await _drop_database(small)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rss-rows", type=int, default=100_000, help="rows of the memory check")
    parser.add_argument("--requests", type=int, default=1600, help="requests of each kind")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--accuracy-only", action="store_true", help="only the evaluation sets")
    parser.add_argument("--no-accuracy", action="store_true", help="skip the evaluation sets")
    args = parser.parse_args()
    if not args.accuracy_only:
        asyncio.run(main(args))
    if not args.no_accuracy:
        asyncio.run(accuracy())
