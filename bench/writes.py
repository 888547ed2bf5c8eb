"""Creates per second over HTTP with 16 concurrent writers, with and without the audit chain.

    python -m bench.writes [--writers 16] [--seconds 20] [--workers 2]

It creates a database of its own (dropped at the end), migrates it and loads the reference
data, then runs the service twice on it, each time ``--workers`` worker processes:

1. **chain-less** (the baseline): the same service and write path with the audit append
   switched off (``bench.writes_chainless``): each create writes the household, its members
   and their change-log rows.
2. **service**: ``python -m app serve`` as deployed: the same inserts plus one audit event per
   record.

``--writers`` clients (one keep-alive connection each, bearer token) POST
``/api/v1/recipients`` in a closed loop for ``--seconds`` after a short warm-up: a household of
one or two members with new identity numbers. Every response must be 201. It prints creates/s
and p50/p99 of both runs and the ratio service / chain-less (target ≥ 0.5), then checks the
audit chain of the database with ``/api/v1/audit/verify``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import time
from datetime import date

import httpx

from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.core.validators import id_number_check_char
from app.reference import load_reference
from app.security.tokens import mint
from bench.recipients import CATEGORIES, TOWNSHIPS
from bench.support import free_port, pg_database, started_process


class Writers:
    """New households with members whose identity numbers never repeat across runs."""

    def __init__(self, county: str) -> None:
        self.county = county
        self.made = 0
        self.rng = random.Random(3)

    def id_number(self) -> str:
        k = self.made
        self.made += 1
        born = date.fromordinal(date(1940, 1, 1).toordinal() + k // 900)
        first17 = f"{self.county}{born:%Y%m%d}{100 + k % 900:03d}"
        return first17 + id_number_check_char(first17)

    def body(self) -> dict[str, object]:
        members = [{"name": "王芳", "id_number": self.id_number(), "relation": "head"}]
        if self.rng.random() < 0.5:
            members.append({"name": "王强", "id_number": self.id_number(), "relation": "child"})
        return {
            "region_code": self.rng.choice(TOWNSHIPS),
            "category": self.rng.choice(CATEGORIES),
            "monthly_income": f"{self.rng.randrange(0, 3000)}.00",
            "members": members,
        }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def drive(base: str, token: str, writers: Writers, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        pool = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base,
                    headers={"Authorization": f"Bearer {token}"},
                    limits=limits,
                    timeout=httpx.Timeout(30),
                )
            )
            for _ in range(clients)
        ]
        for client in pool:  # one at a time, so that the connections spread over the workers
            await client.get("/healthz")
            await asyncio.sleep(0.02)

        async def writer(client: httpx.AsyncClient, until: float, record: bool) -> None:
            while time.perf_counter() < until:
                started = time.perf_counter()
                response = await client.post("/api/v1/recipients", json=writers.body())
                if not record:
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code != 201:
                    key = f"HTTP {response.status_code}"
                    errors[key] = errors.get(key, 0) + 1

        warm = time.perf_counter() + 3
        await asyncio.gather(*(writer(c, warm, False) for c in pool))
        started = time.perf_counter()
        await asyncio.gather(*(writer(c, started + seconds, True) for c in pool))
        elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "p50": pct(latencies, 0.5),
        "p99": pct(latencies, 0.99),
        "errors": float(sum(errors.values())),
    }


def machine() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


async def main(args: argparse.Namespace) -> int:
    async with pg_database("mzbench_writes") as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, env="test", node_region="330500", _env_file=None)
        db = Database(settings)
        try:
            await load_reference(db, settings)
        finally:
            await db.dispose()
        token = mint(settings, sub="bench-writes", roles=["operator"], region="330500")
        auditor = mint(settings, sub="bench-audit", roles=["auditor"], region="330500")
        env = {
            "MZ_DATABASE_URL": url,
            "MZ_ENV": "test",
            "MZ_LOG_LEVEL": "WARNING",
            "MZ_NODE_REGION": "330500",
        }
        writers = Writers("330523")
        results: dict[str, dict[str, float]] = {}
        runs = {
            "chain-less": "bench.writes_chainless:chainless_app",
            "service": "app.cli.serve:worker_app",
        }
        print(f"{args.writers} writers, {args.seconds:.0f} s per run, {args.workers} workers; {machine()}")
        for label, factory in runs.items():
            port = free_port()
            serve = [
                sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
                "--port", str(port), "--workers", str(args.workers), "--no-access-log",
                "--log-level", "warning",
            ]  # fmt: skip
            with started_process(serve, env, port, ready_path="/readyz") as (base, _proc):
                results[label] = await drive(base, token, writers, args.writers, args.seconds)
                if label == "service":
                    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
                        answer = await client.get(
                            "/api/v1/audit/verify", headers={"Authorization": f"Bearer {auditor}"}
                        )
                    verify = answer.json()
            r = results[label]
            print(
                f"  {label:>10}: {r['rps']:7.1f} creates/s  p50 {r['p50']:6.1f} ms  "
                f"p99 {r['p99']:6.1f} ms  errors {r['errors']:.0f}",
                flush=True,
            )
        ratio = results["service"]["rps"] / results["chain-less"]["rps"]
        print(f"\nservice / chain-less: {ratio:.2f} (target >= 0.5)")
        print(f"audit verify after the run: {verify}")
        print(machine())
        failed = any(r["errors"] for r in results.values()) or not verify.get("ok")
        return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    sys.exit(asyncio.run(main(parser.parse_args())))
