"""Recipients under load on PostgreSQL: 100k households, GET /recipients/{id} and a filtered
list page at 32 connections, each as a ratio to bare FastAPI + asyncpg running the same
queries (bench/recipients_baseline.py), measured in the same run.

    python -m bench.recipients [--households 100000] [--seconds 15] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
from datetime import UTC, date, datetime

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import Database
from app.core.ids import uuid7
from app.core.migrations import upgrade
from app.core.validators import id_number_check_char
from app.reference import load_reference
from app.security.pii import PiiCipher, mask_id_number
from app.security.tokens import mint
from bench.support import free_port, lua_paths, pg_database, process, uvicorn_args, wrk

TOWNSHIPS = ["330502001000", "330502002000", "330502003000", "330503001000", "330521001000", "330522001000"]
CATEGORIES = ["dibao", "dibao", "dibao", "dibao_edge", "tekun"]
STATUSES = ["approved", "approved", "approved", "applied", "verified", "exited"]


def _id_number(rng: random.Random, region: str) -> str:
    born = date.fromordinal(date(1930, 1, 1).toordinal() + rng.randrange(30000))
    first17 = f"{region[:6]}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_number_check_char(first17)


async def seed(url: str, households: int, cipher: PiiCipher) -> list[str]:
    rng = random.Random(42)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    hh_rows, member_rows, ids = [], [], []
    for _ in range(households):
        hid = uuid7()
        region = rng.choice(TOWNSHIPS)
        count = rng.randint(1, 4)
        hh_rows.append(
            (
                hid,
                region,
                "330500000000",
                1,
                now,
                now,
                "bench",
                None,
                rng.choice(CATEGORIES),
                rng.choice(STATUSES),
                rng.randrange(0, 400000),
                count,
                "户主",
                None,
                None,
                date(2024, 1, 1),
                None,
                None,
                None,
                None,  # support_mode (added after the table: the last column)
            )
        )
        ids.append(str(hid))
        for j in range(count):
            number = _id_number(rng, region)
            member_rows.append(
                (
                    uuid7(),
                    region,
                    "330500000000",
                    1,
                    now,
                    now,
                    "bench",
                    None,
                    hid,
                    f"成员{j}",
                    "head" if j == 0 else "child",
                    cipher.encrypt("id_number", number),
                    cipher.blind_index("id_number", number),
                    mask_id_number(number),
                    date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                    "male" if int(number[16]) % 2 else "female",
                    None,
                    None,
                    None,
                    "",
                    False,  # living_alone
                    False,  # parents_absent
                    None,  # self_care_assessed_on
                    "",  # self_care_unable
                )
            )
    await conn.copy_records_to_table("recipient_household", records=hh_rows)
    await conn.copy_records_to_table("recipient_member", records=member_rows)
    await conn.execute("ANALYZE")
    await conn.close()
    return ids


def _check_same_answers(svc: str, base: str, auth: dict[str, str], ids: list[str], list_query: str) -> None:
    """The baseline must answer the same documents as the service (the list's signed cursor
    aside), or the ratio compares different work."""
    for household_id in ids:
        ours = httpx.get(f"{svc}/api/v1/recipients/{household_id}", headers=auth).json()
        theirs = httpx.get(f"{base}/h/{household_id}").json()
        if ours != theirs:
            raise RuntimeError(f"baseline answers differ for {household_id}: {ours} != {theirs}")
    ours = httpx.get(f"{svc}/api/v1/recipients?{list_query}", headers=auth).json()
    theirs = httpx.get(f"{base}/list?region=330502001000&status=approved&category=dibao").json()
    if ours["items"] != theirs["items"] or len(ours["items"]) != 50:
        raise RuntimeError("baseline list page differs from the service's")


async def main(args: argparse.Namespace) -> None:
    async with pg_database("mzbench_recipients") as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, _env_file=None)
        db = Database(settings)
        await load_reference(db, settings)
        await db.dispose()
        cipher = PiiCipher.from_settings(settings)
        print(f"seeding {args.households} households …", flush=True)
        ids = await seed(url, args.households, cipher)
        sample = random.Random(7).sample(ids, 2000)
        token = mint(settings, sub="bench", roles=["viewer"], region="330500")
        auth = {"Authorization": f"Bearer {token}"}
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        list_query = "region_code=330502001000&status=approved&category=dibao"

        svc_port, base_port = free_port(), free_port()
        service_env = {"MZ_DATABASE_URL": url, "MZ_ENV": "test", "MZ_LOG_LEVEL": "WARNING"}
        cases = {
            "get": (
                lua_paths([f"/api/v1/recipients/{i}" for i in sample]),
                lua_paths([f"/h/{i}" for i in sample]),
            ),
            "list": (
                lua_paths([f"/api/v1/recipients?{list_query}"]),
                lua_paths(["/list?region=330502001000&status=approved&category=dibao"]),
            ),
        }
        results: dict[str, dict[str, list[float]]] = {k: {"svc": [], "base": []} for k in cases}
        latencies: dict[str, dict[str, float]] = {}
        with (
            process(
                # The service as ops run it (`python -m app serve`: the serving worker's
                # lifespan, its logging and server options), one worker.
                [
                    sys.executable,
                    "-m",
                    "app",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(svc_port),
                    "--no-migrate",
                ],
                service_env,
                svc_port,
            ) as svc,
            process(
                uvicorn_args("bench.recipients_baseline:app", base_port), {"BENCH_DSN": dsn}, base_port
            ) as base,
        ):
            _check_same_answers(svc, base, auth, sample[:20], list_query)
            for name, (svc_lua, base_lua) in cases.items():
                wrk(svc, seconds=2, connections=args.connections, headers=auth, lua=svc_lua)
                wrk(base, seconds=2, connections=args.connections, lua=base_lua)
                for _round in range(args.rounds):
                    s = wrk(
                        svc,
                        seconds=args.seconds,
                        connections=args.connections,
                        headers=auth,
                        lua=svc_lua,
                    )
                    b = wrk(base, seconds=args.seconds, connections=args.connections, lua=base_lua)
                    if s["non_2xx"] or b["non_2xx"]:
                        raise RuntimeError(f"errors during {name}: service {s}, baseline {b}")
                    results[name]["svc"].append(s["rps"])
                    results[name]["base"].append(b["rps"])
                    latencies[name] = {
                        "svc_p50": s.get("p50_ms", 0),
                        "svc_p99": s.get("p99_ms", 0),
                        "base_p50": b.get("p50_ms", 0),
                        "base_p99": b.get("p99_ms", 0),
                    }
        print(
            f"\nrecipients benchmark: {args.households} households, {args.connections} connections, "
            f"{args.rounds}×{args.seconds}s rounds, 1 worker each"
        )
        for name, runs in results.items():
            svc_rps, base_rps = statistics.median(runs["svc"]), statistics.median(runs["base"])
            lat = latencies[name]
            print(
                f"  {name:5s} ratio {svc_rps / base_rps:.2f}  (service {svc_rps:.0f} req/s, baseline "
                f"{base_rps:.0f} req/s; p50 {lat['svc_p50']:.1f}/{lat['base_p50']:.1f} ms, "
                f"p99 {lat['svc_p99']:.1f}/{lat['base_p99']:.1f} ms)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    asyncio.run(main(parser.parse_args()))
