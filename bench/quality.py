"""The cost of the data-quality report over 100k households on PostgreSQL, as a ratio to one
``count(*)`` of the same table in the same run (the report runs every rule with aggregate SQL).

    python -m bench.quality [--households 100000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from sqlalchemy import text

from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.main import create_app
from app.reference import load_reference
from app.security.pii import PiiCipher
from app.security.tokens import mint
from bench.recipients import seed
from bench.support import pg_database


async def main(args: argparse.Namespace) -> None:
    async with pg_database("mzbench_quality") as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, _env_file=None, log_level="WARNING")
        db = Database(settings)
        await load_reference(db, settings)
        print(f"seeding {args.households} households …", flush=True)
        await seed(url, args.households, PiiCipher.from_settings(settings))
        app = create_app(settings, database=db)
        headers = {
            "Authorization": "Bearer " + mint(settings, sub="bench", roles=["viewer"], region="330500")
        }
        report_times, count_times, score_times = [], [], []
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            assert (await client.get("/api/v1/quality", headers=headers)).status_code == 200
            for _ in range(args.rounds):
                started = time.perf_counter()
                report = await client.get("/api/v1/quality", headers=headers)
                report_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                scored = await client.get("/api/v1/quality/score", headers=headers)
                score_times.append(time.perf_counter() - started)
                async with db.engine.connect() as conn:
                    started = time.perf_counter()
                    await conn.execute(text("SELECT count(*) FROM recipient_household"))
                    count_times.append(time.perf_counter() - started)
                assert report.status_code == scored.status_code == 200
        rules = len(report.json()["rules"])
        base = statistics.median(count_times)
        print(f"\nquality benchmark: {args.households} households, {rules} rules, median of {args.rounds}")
        print(
            f"  /quality        {statistics.median(report_times) * 1000:8.1f} ms  ratio to count(*) "
            f"{statistics.median(report_times) / base:6.1f}"
        )
        print(
            f"  /quality/score  {statistics.median(score_times) * 1000:8.1f} ms  ratio to count(*) "
            f"{statistics.median(score_times) / base:6.1f}"
        )
        print(f"  count(*)        {base * 1000:8.1f} ms")
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    asyncio.run(main(parser.parse_args()))
