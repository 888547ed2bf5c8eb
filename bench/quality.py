"""The data-quality report, the quality score and the catalog over every dataset at city scale
on PostgreSQL (100k households, 300k members, 50k assessments, 200k addresses, 500 trusts,
payments, transitions, care records … : bench/datasets.py), each as a ratio to the sum of one
``count(*)`` of every table it reads, measured in the same run, through the app in-process
(token, scope, JSON).

    python -m bench.quality [--households 100000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date
from typing import Any

import httpx
from sqlalchemy import Table, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.sql.util import find_tables

from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.core.record import ENTITIES
from app.main import create_app
from app.quality.rules import all_rules
from app.reference import load_reference
from app.security.tokens import mint
from bench import datasets
from bench.support import pg_database

ENDPOINTS = {
    "/quality": "/api/v1/quality",
    "/quality/score": "/api/v1/quality/score",
    "/catalog": "/api/v1/catalog",
}


def rule_tables() -> list[str]:
    """Every table a quality rule reads."""
    names: set[str] = set()
    for rule in all_rules().values():
        for found in find_tables(rule.check(date(2026, 12, 3)), include_aliases=True, include_joins=True):
            table: Any = getattr(found, "element", found)
            if isinstance(table, Table):
                names.add(table.name)
    return sorted(names)


def catalog_tables() -> list[str]:
    return sorted(spec.model.__table__.name for spec in ENTITIES.values())  # type: ignore[attr-defined]


async def main(args: argparse.Namespace) -> None:
    async with pg_database("mzbench_quality") as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, _env_file=None, log_level="WARNING")
        db = Database(settings)
        await load_reference(db, settings)
        print(f"seeding every dataset for {args.households} households …", flush=True)
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        rows = await datasets.seed(dsn, args.households)
        app = create_app(settings, database=db)
        read_by = {"/quality": rule_tables(), "/quality/score": rule_tables(), "/catalog": catalog_tables()}
        every = sorted({t for tables in read_by.values() for t in tables})
        headers = {
            "Authorization": "Bearer " + mint(settings, sub="bench", roles=["viewer"], region="330500")
        }
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        times: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
        counts: dict[str, list[float]] = {t: [] for t in every}
        per_endpoint: dict[str, int] = {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
        ) as client:
            for name, path in ENDPOINTS.items():
                event.listen(db.engine.sync_engine, "before_cursor_execute", count)
                assert (await client.get(path, headers=headers)).status_code == 200
                event.remove(db.engine.sync_engine, "before_cursor_execute", count)
                per_endpoint[name], statements = statements, 0
            async with db.engine.connect() as conn:
                for table in every:
                    await conn.execute(text(f"SELECT count(*) FROM {table}"))
            for _ in range(args.rounds):
                for name, path in ENDPOINTS.items():
                    started = time.perf_counter()
                    answer = await client.get(path, headers=headers)
                    times[name].append(time.perf_counter() - started)
                    assert answer.status_code == 200
                async with db.engine.connect() as conn:
                    for table in every:
                        started = time.perf_counter()
                        await conn.execute(text(f"SELECT count(*) FROM {table}"))
                        counts[table].append(time.perf_counter() - started)
        rules = len(all_rules())
        print(f"\nquality benchmark: {args.households} households, {rules} rules, median of {args.rounds}")
        print("  rows: " + ", ".join(f"{t} {n}" for t, n in rows.items()))
        for name in ENDPOINTS:
            tables = read_by[name]
            sums = [sum(counts[t][i] for t in tables) for i in range(args.rounds)]
            base = statistics.median(sums)
            took = statistics.median(times[name])
            print(
                f"  {name:15} {took * 1000:8.1f} ms  {per_endpoint[name]:3} statements  "
                f"ratio to Σ count(*) over its {len(tables)} tables ({base * 1000:.1f} ms) {took / base:6.1f}"
            )
        slowest = sorted(every, key=lambda t: -statistics.median(counts[t]))[:5]
        print(
            "  slowest count(*): "
            + ", ".join(f"{t} {statistics.median(counts[t]) * 1000:.1f} ms" for t in slowest)
        )
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    asyncio.run(main(parser.parse_args()))
