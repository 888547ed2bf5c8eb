"""Households by region:township × category × month over 100k households on PostgreSQL: the
analytics endpoint (the whole request: token, scope, aggregate SQL with GROUPING SETS for the
totals, region names, JSON) against the same hand-written ``GROUP BY`` run in the same session.
Target: p50 ≤ 2 × the hand-written query's p50.

    python -m bench.analytics [--households 100000] [--rounds 21]

Seeding is one set-based ``INSERT … SELECT`` over ``generate_series`` with a seeded ``random()``
(72 townships, four categories, approvals spread over 24 months: about 6,900 groups).
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
from app.security.tokens import mint
from bench.support import pg_database

SEED = """
INSERT INTO recipient_household (
    id, region_code, origin, version, created_at, updated_at, updated_by, deleted_at, category, status,
    monthly_income_fen, member_count, head_name, address_id, address_text, applied_on, approved_on,
    last_reviewed_on, exited_on)
SELECT gen_random_uuid(), towns.codes[1 + floor(random() * array_length(towns.codes, 1))::int],
       '330500000000', 1, now(), now(), 'bench', NULL,
       (ARRAY['dibao', 'dibao_edge', 'tekun', 'temporary'])[1 + floor(random() * 4)::int],
       (ARRAY['approved', 'approved', 'approved', 'applied', 'suspended', 'exited'])
           [1 + floor(random() * 6)::int],
       floor(random() * 400000)::bigint, 1 + floor(random() * 4)::int, '户主', NULL, NULL,
       DATE '2023-12-01' + floor(random() * 730)::int, DATE '2024-01-01' + floor(random() * 730)::int,
       NULL, NULL
FROM generate_series(1, :households) AS n,
     (SELECT array_agg(code ORDER BY code) AS codes FROM region WHERE level = 'township') AS towns
"""

HAND_WRITTEN = """
SELECT substr(region_code, 1, 9) || '000' AS township, category, to_char(approved_on, 'YYYY-MM') AS month,
       count(*) AS households
FROM recipient_household
WHERE deleted_at IS NULL AND region_code LIKE '3305%'
GROUP BY 1, 2, 3
"""

PATH = "/api/v1/analytics/households"
PARAMS = {"by": "region:township,category,month", "measures": "count"}


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def main(args: argparse.Namespace) -> None:
    async with pg_database("mzbench_analytics") as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, _env_file=None, log_level="WARNING")
        db = Database(settings)
        await load_reference(db, settings)
        print(f"seeding {args.households} households …", flush=True)
        started = time.perf_counter()
        async with db.engine.begin() as conn:
            await conn.execute(text("SELECT setseed(0.42)"))
            await conn.execute(text(SEED), {"households": args.households})
            await conn.execute(text("ANALYZE recipient_household"))
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
        app = create_app(settings, database=db)
        token = mint(settings, sub="bench", roles=["viewer"], region="330500")
        headers = {"Authorization": f"Bearer {token}"}
        endpoint, hand, everything = [], [], []
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:

            async def ask(params: dict[str, str]) -> tuple[float, int, dict[str, object]]:
                begun = time.perf_counter()
                r = await client.get(PATH, params=params, headers=headers)
                elapsed = time.perf_counter() - begun
                assert r.status_code == 200, r.text
                body = r.json()
                return elapsed, len(body["rows"]), body["totals"]

            async def by_hand() -> tuple[float, int]:
                async with db.engine.connect() as conn:
                    begun = time.perf_counter()
                    rows = (await conn.execute(text(HAND_WRITTEN))).all()
                    return time.perf_counter() - begun, len(rows)

            for _ in range(3):  # warm both paths: connections, plans, caches
                await ask(PARAMS)
                await by_hand()
            groups = total = 0
            for _ in range(args.rounds):
                elapsed, groups, totals = await ask(PARAMS)
                endpoint.append(elapsed)
                elapsed, hand_rows = await by_hand()
                hand.append(elapsed)
                all_measures = {**PARAMS, "measures": "count,members,benefit"}
                everything.append((await ask(all_measures))[0])
                total = int(str(totals["count"]))
            assert groups == hand_rows, (groups, hand_rows)
            assert total == args.households
        ratio = p50(endpoint) / p50(hand)
        print(
            f"\nanalytics benchmark: {args.households} households, {groups} groups "
            f"(township × category × month), {args.rounds} rounds"
        )
        print(f"  endpoint (count)              p50 {p50(endpoint):7.1f} ms")
        print(f"  hand-written GROUP BY         p50 {p50(hand):7.1f} ms")
        verdict = "met" if ratio <= 2 else "MISSED"
        print(f"  ratio                             {ratio:7.2f}  (target ≤ 2.0: {verdict})")
        print(f"  endpoint (count,members,benefit) p50 {p50(everything):7.1f} ms")
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=21)
    asyncio.run(main(parser.parse_args()))
