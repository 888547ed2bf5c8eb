"""Matching a need with 2,000 resources in the city, over HTTP with auth, against a GET by id in
the same run.

    python -m bench.care [--resources 2000] [--requests 400]

Creates a PostgreSQL database of its own (dropped at the end), starts ``python -m app serve``
on it, loads N resources through the service's own CSV import (spread over the city, the
person's county and the person's township, most of them providing ``care``, with a mix of
eligibility rules and capacities, some capacity taken by referrals), records a person in a
dibao household with a need for care, then sends the two requests alternately on one
keep-alive connection: ``GET /api/v1/needs/{id}/matches`` (the first page, 50 ranked
resources with why each qualifies) and ``GET /api/v1/needs/{id}``. It prints p50/p95 of each
and the ratio of the p95s (target ≤ 3).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import date

import httpx

from app.core.config import Settings
from app.core.migrations import upgrade
from app.security.tokens import mint
from bench.support import free_port, pg_database, process
from tests.factories import id_number

CITY, COUNTY, TOWN = "330500000000", "330502000000", "330502001000"
TYPES = ["medical", "education", "meals", "legal", "living", "psychological"]


def resources_csv(count: int, rng: random.Random) -> str:
    lines = ["region_code,name,provider,provider_kind,need_types,categories,min_age,max_age,capacity"]
    for i in range(count):
        region = CITY if i % 2 == 0 else (COUNTY if i % 4 == 1 else TOWN)
        types = ["care", *rng.sample(TYPES, 2)] if rng.random() < 0.8 else rng.sample(TYPES, 3)
        categories = rng.choice(["", "", "dibao", "dibao|tekun", "tekun"])
        min_age = rng.choice(["", "", "60", "80"])
        max_age = rng.choice(["", "", "", "100"]) if min_age else rng.choice(["", "", "70"])
        capacity = rng.choice(["", "5", "20", "100"])
        fields = [region, f"照护服务{i}", f"提供方{i % 37}", "social_org", "|".join(types)]
        lines.append(",".join([*fields, categories, min_age, max_age, capacity]))
    return "\n".join(lines) + "\n"


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    async with pg_database("mzbench_care") as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, _env_file=None)
        op = {"Authorization": "Bearer " + mint(settings, sub="bench", roles=["operator"], region="330500")}
        port = free_port()
        env = {"MZ_DATABASE_URL": url, "MZ_ENV": "test", "MZ_LOG_LEVEL": "WARNING"}
        with process(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)], env, port
        ) as base:
            async with httpx.AsyncClient(base_url=base, timeout=120) as client:
                print(f"importing {args.resources} resources …", flush=True)
                started = time.perf_counter()
                body = resources_csv(args.resources, rng).encode()
                r = await client.post(
                    "/api/v1/resources/import", files={"file": ("r.csv", body, "text/csv")}, headers=op
                )
                assert r.status_code == 200, r.text
                report = r.json()
                assert report["inserted"] == args.resources, report["rejected"][:3]
                print(f"  {report['inserted']} in {time.perf_counter() - started:.1f} s", flush=True)

                elder = id_number("330502", born=date(1944, 5, 20))
                member = {"name": "基准", "id_number": elder, "relation": "head", "disability_grade": 2}
                household = {
                    "region_code": TOWN,
                    "category": "dibao",
                    "monthly_income": "500.00",
                    "members": [member],
                }
                assert (
                    await client.post("/api/v1/recipients", json=household, headers=op)
                ).status_code == 201
                person = {"id_number": elder, "name": "基准"}
                need = await client.post(
                    "/api/v1/needs", json={"region_code": TOWN, "person": person, "type": "care"}, headers=op
                )
                assert need.status_code == 201, need.text
                need_id = need.json()["id"]
                # Take places of the first matches with referrals of other needs.
                first = (
                    await client.get(f"/api/v1/needs/{need_id}/matches", params={"limit": 100}, headers=op)
                ).json()
                taken = 0
                open_to_anyone = [
                    item
                    for item in first["items"]
                    if not item["resource"]["eligibility"]["categories"]
                    and not item["resource"]["eligibility"]["min_age"]
                ]
                for item in open_to_anyone[: args.referrals]:
                    other = await client.post(
                        "/api/v1/needs",
                        json={
                            "region_code": TOWN,
                            "person": {"id_number": id_number("330502"), "name": "他人"},
                            "type": "care",
                        },
                        headers=op,
                    )
                    made = await client.post(
                        "/api/v1/referrals",
                        json={"need_id": other.json()["id"], "resource_id": item["resource_id"]},
                        headers=op,
                    )
                    taken += made.status_code == 201
                print(f"  {taken} places taken by referrals", flush=True)

                viewer = {
                    "Authorization": "Bearer " + mint(settings, sub="bench", roles=["viewer"], region=TOWN)
                }
                matches, by_id = [], []
                for _ in range(20):  # warm up
                    await client.get(f"/api/v1/needs/{need_id}/matches", headers=viewer)
                    await client.get(f"/api/v1/needs/{need_id}", headers=viewer)
                for _ in range(args.requests):
                    started = time.perf_counter()
                    r = await client.get(f"/api/v1/needs/{need_id}/matches", headers=viewer)
                    matches.append((time.perf_counter() - started) * 1000)
                    assert r.status_code == 200
                    shown = len(r.json()["items"])
                    started = time.perf_counter()
                    r = await client.get(f"/api/v1/needs/{need_id}", headers=viewer)
                    by_id.append((time.perf_counter() - started) * 1000)
                    assert r.status_code == 200
    ratio = p(matches, 0.95) / p(by_id, 0.95)
    print(f"\ncare matching: {args.resources} resources in the city, {args.requests} requests each")
    print(f"  {shown} matches on the page")
    print(f"  matches     p50 {statistics.median(matches):6.2f} ms  p95 {p(matches, 0.95):6.2f} ms")
    print(f"  GET by id   p50 {statistics.median(by_id):6.2f} ms  p95 {p(by_id, 0.95):6.2f} ms")
    print(f"  p95 ratio {ratio:.2f} (target ≤ 3)")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--referrals", type=int, default=40)
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
