"""The whole service under a realistic mix on PostgreSQL: saturation, then a long hold at 60 %.

    python -m bench.load [--households 3000] [--addresses 20000] [--hold 300] [--step-seconds 10]
                         [--levels 2,4,8,16,32,64] [--workers 2] [--fraction 0.6] [--probe]

It creates a database of its own (dropped at the end), migrates it, loads the reference data and
seeds N households with their members (COPY), an address register (the service's own import
command) and indicator targets and reports for every region. Then it starts
``python -m app serve --workers 2`` and drives it from an asyncio httpx load generator with a
mix of

    reads by id 35 % · filtered list pages 15 % · creates 8 % · updates with If-Match 10 %
    · address matches 12 % · address searches 5 % · indicator progress 15 %

1. **saturation** — closed loop at fixed concurrency levels (``--levels``), ``--step-seconds``
   each: throughput per level and p50/p99. Saturation is the best throughput seen; the steps stop
   once throughput has not grown by 5 % for two levels in a row, or p99 reaches 10× the first
   level's.
2. **hold** — open loop at ``--fraction`` (default 60 %) of the saturation rate for ``--hold``
   seconds (default 300):
   arrivals on a fixed schedule, latency counted from the scheduled time (queueing included).
   Every response must be 2xx. The RSS of both worker processes is sampled every 2 s; the growth
   is the largest sample after the warm-up (the first 20 %, at least 20 s) over the sample at
   the end of the warm-up (target: within 10 %).

It prints held throughput / saturation throughput, p99 / p50 of the hold (target ≤ 10) and the
RSS growth ratio, and exits non-zero on any error during the hold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import random
import shutil
import ssl
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import psutil

from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.core.validators import id_number_check_char
from app.indicator.reference import shipped_rows
from app.reference import load_reference
from app.security.pii import PiiCipher
from app.security.tokens import mint
from bench.addresses import import_in_child, noisy_text, write_csv
from bench.indicators import AS_OF, PERIOD
from bench.indicators import seed as seed_indicators
from bench.recipients import CATEGORIES, TOWNSHIPS
from bench.recipients import seed as seed_households
from bench.support import free_port, pg_database, started_process
from tools.address_synthetic import bulk_rows, region_names

# Many HTTP clients of one connection each rather than one client with a large pool: the
# client's pool looks at every connection it holds on each request (costing the generator more
# than the service), and connections opened one at a time spread over the workers.
CLIENTS, CONNECTIONS_EACH = 64, 1
CONNECTIONS = CLIENTS * CONNECTIONS_EACH
MIX: list[tuple[str, int]] = [
    ("get", 35),
    ("list", 15),
    ("create", 8),
    ("update", 10),
    ("match", 12),
    ("search", 5),
    ("progress", 15),
]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    scheduled: list[float] = field(default_factory=list)
    """When each request was due (``time.perf_counter()``), beside its latency."""

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Pauses:
    """The load generator's own collector pauses (every generation): the generator is part of
    the instrument, and a pause in it delays arrivals that then count as late."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.began: float | None = None
        gc.callbacks.append(self.on_collect)

    def on_collect(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self.began = time.perf_counter()
        elif self.began is not None:
            self.pauses.append(time.perf_counter() - self.began)
            self.began = None

    def report(self) -> str:
        longest = max(self.pauses, default=0.0) * 1000
        total = sum(self.pauses) * 1000
        return f"  generator collections: {len(self.pauses)}, {total:.0f} ms in all, longest {longest:.1f} ms"


class Lag:
    """How late the generator's own event loop wakes (a 5 ms ticker), by second: a generator
    starved of CPU sends late, and its requests count as late from their scheduled time."""

    TICK = 0.005

    def __init__(self) -> None:
        self.worst: dict[int, float] = {}

    async def run(self, until: float) -> None:
        offset = time.time() - time.perf_counter()
        while (now := time.perf_counter()) < until:
            await asyncio.sleep(self.TICK)
            late = time.perf_counter() - now - self.TICK
            second = int(now + offset)
            self.worst[second] = max(self.worst.get(second, 0.0), late)

    def at(self, second: int) -> float:
        return self.worst.get(second, 0.0) * 1000


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Workload:
    """The request mix; each call issues one logical operation (an update is GET then PATCH
    only when its ETag is not known yet)."""

    def __init__(
        self,
        clients: list[httpx.AsyncClient],
        household_ids: list[str],
        texts: list[str],
        terms: list[str],
        indicator_codes: list[str],
    ) -> None:
        self._clients = itertools.cycle(clients)
        self.ids = household_ids
        self.texts = texts
        self.terms = terms
        self.codes = indicator_codes
        self.rng = random.Random(5)
        self.kinds = [k for k, _ in MIX]
        self.weights = [w for _, w in MIX]
        self.etags: dict[str, str] = {}
        self.updating: set[str] = set()
        self.created = 0

    @property
    def client(self) -> httpx.AsyncClient:
        """The next client, round robin (an update keeps one for its GET and PATCH)."""
        return next(self._clients)

    def pick(self) -> str:
        return self.rng.choices(self.kinds, self.weights)[0]

    async def run(self, kind: str) -> httpx.Response:
        op: Callable[[], Awaitable[httpx.Response]] = getattr(self, f"_{kind}")
        return await op()

    async def _get(self) -> httpx.Response:
        return await self.client.get(f"/api/v1/recipients/{self.rng.choice(self.ids)}")

    async def _list(self) -> httpx.Response:
        params = {
            "region_code": self.rng.choice(TOWNSHIPS),
            "status": self.rng.choice(("approved", "applied", "verified")),
            "category": self.rng.choice(CATEGORIES),
            "limit": "20",
        }
        return await self.client.get("/api/v1/recipients", params=params)

    def _new_id_number(self) -> str:
        k = self.created
        self.created += 1
        born = date.fromordinal(date(1945, 1, 1).toordinal() + k // 800)
        first17 = f"330523{born:%Y%m%d}{100 + k % 800:03d}"  # a county the seed never uses
        return first17 + id_number_check_char(first17)

    async def _create(self) -> httpx.Response:
        members = [{"name": "王芳", "id_number": self._new_id_number(), "relation": "head"}]
        if self.rng.random() < 0.6:
            members.append({"name": "王强", "id_number": self._new_id_number(), "relation": "child"})
        body = {
            "region_code": self.rng.choice(TOWNSHIPS),
            "category": self.rng.choice(CATEGORIES),
            "monthly_income": f"{self.rng.randrange(0, 3000)}.00",
            "members": members,
        }
        response = await self.client.post("/api/v1/recipients", json=body)
        if response.status_code == 201:
            self.ids.append(response.json()["id"])
        return response

    async def _update(self) -> httpx.Response:
        # One update at a time per household: this generator is the only writer, so the ETag it
        # kept from the last response is current and a 412 would be a real error.
        for _ in range(10):
            hid = self.rng.choice(self.ids)
            if hid not in self.updating:
                break
        else:
            return await self._get()
        self.updating.add(hid)
        client = self.client
        try:
            tag = self.etags.get(hid)
            if tag is None:
                first = await client.get(f"/api/v1/recipients/{hid}")
                if first.status_code != 200:
                    return first
                tag = first.headers["etag"]
            response = await client.patch(
                f"/api/v1/recipients/{hid}",
                json={"monthly_income": f"{self.rng.randrange(0, 3000)}.00"},
                headers={"If-Match": tag},
            )
            if response.status_code == 200:
                self.etags[hid] = response.headers["etag"]
            return response
        finally:
            self.updating.discard(hid)

    async def _match(self) -> httpx.Response:
        return await self.client.post(
            "/api/v1/addresses/match", json={"text": self.rng.choice(self.texts), "limit": 5}
        )

    async def _search(self) -> httpx.Response:
        return await self.client.get(
            "/api/v1/addresses", params={"q": self.rng.choice(self.terms), "limit": 20}
        )

    async def _progress(self) -> httpx.Response:
        params = {"period": PERIOD, "region_code": "330500", "as_of": AS_OF.isoformat()}
        return await self.client.get(
            f"/api/v1/indicators/{self.rng.choice(self.codes)}/progress", params=params
        )


async def one(work: Workload, tally: Tally, scheduled: float) -> None:
    kind = work.pick()
    try:
        response = await work.run(kind)
    except httpx.HTTPError as exc:
        tally.error(f"{kind}: {type(exc).__name__}")
        return
    finally:
        elapsed = time.perf_counter() - scheduled
        tally.latencies.append(elapsed)
        tally.scheduled.append(scheduled)
        tally.by_kind.setdefault(kind, []).append(elapsed)
    if response.status_code >= 300:
        tally.error(f"{kind}: HTTP {response.status_code}")


class CpuMeter:
    """CPU use (% of one core) of this process and of each worker over an interval: who is the
    bottleneck on a small machine."""

    def __init__(self, workers: list[psutil.Process]) -> None:
        self.procs = [psutil.Process(), *workers]
        self.start()

    def start(self) -> None:
        self.started = time.perf_counter()
        self.times = [sum(p.cpu_times()[:2]) for p in self.procs]

    def read(self) -> str:
        elapsed = time.perf_counter() - self.started
        used = [
            (sum(p.cpu_times()[:2]) - t) / elapsed * 100 for p, t in zip(self.procs, self.times, strict=True)
        ]
        return f"cpu: generator {used[0]:.0f} %, workers " + " ".join(f"{u:.0f} %" for u in used[1:])


async def closed_loop(work: Workload, concurrency: int, seconds: float) -> tuple[float, Tally]:
    tally = Tally()
    deadline = time.perf_counter() + seconds

    async def user() -> None:
        while time.perf_counter() < deadline:
            await one(work, tally, time.perf_counter())

    started = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    return len(tally.latencies) / (time.perf_counter() - started), tally


def worker_processes(master: int) -> list[psutil.Process]:
    children = psutil.Process(master).children(recursive=True)
    return [p for p in children if "spawn_main" in " ".join(p.cmdline())]


async def open_loop(
    work: Workload, rate: float, seconds: float, workers: list[psutil.Process], max_in_flight: int, lag: Lag
) -> tuple[float, Tally, list[tuple[float, list[int]]]]:
    tally = Tally()
    samples: list[tuple[float, list[int]]] = []
    tasks: set[asyncio.Task[None]] = set()
    started = time.perf_counter()
    stop = started + seconds

    async def sample() -> None:
        while time.perf_counter() < stop:
            samples.append((time.perf_counter() - started, [p.memory_info().rss for p in workers]))
            await asyncio.sleep(2)

    async def arrival(scheduled: float) -> None:
        # Requests wait here (not in the HTTP client's pool, whose bookkeeping grows with its
        # queue) when every connection is busy; latency still counts from the scheduled time.
        async with slots:
            await one(work, tally, scheduled)

    slots = asyncio.Semaphore(max_in_flight)
    sampler = asyncio.create_task(sample())
    ticker = asyncio.create_task(lag.run(stop))
    i = 0
    while True:
        scheduled = started + i / rate
        if scheduled >= stop:
            break
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        task = asyncio.create_task(arrival(scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        i += 1
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    await sampler
    await ticker
    samples.append((elapsed, [p.memory_info().rss for p in workers]))
    return len(tally.latencies) / elapsed, tally, samples


async def seed(
    url: str, households: int, addresses: int
) -> tuple[list[str], list[str], list[str], list[str]]:
    await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, env="test", node_region="330500", _env_file=None)
    db = Database(settings)
    try:
        await load_reference(db, settings)
        await seed_indicators(db)
    finally:
        await db.dispose()
    ids = await seed_households(url, households, PiiCipher.from_settings(settings))
    folder = Path(tempfile.mkdtemp(prefix="mzbench-load-"))
    try:
        path = folder / "addresses.csv"
        await asyncio.to_thread(write_csv, path, addresses)
        await asyncio.to_thread(import_in_child, url, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rng = random.Random(11)
    regions = region_names()
    rows = [row for i, row in enumerate(bulk_rows(addresses)) if i % max(1, addresses // 500) == 0]
    texts = [noisy_text(row, regions, rng) for row in rows]
    terms = [(row["road"] or row["compound"]) + f" {row['building']}幢" for row in rows]
    codes = [row["code"] for row in shipped_rows()]
    return ids, texts, terms, codes


def server_messages(path: Path) -> Counter[str]:
    """Warnings and errors the service logged (JSON lines), by message; removes the file."""
    text = path.read_text(errors="replace")
    path.unlink(missing_ok=True)
    return Counter(
        json.loads(line).get("msg", "")
        for line in text.splitlines()
        if line.startswith("{") and '"level": "info"' not in line
    )


def probe_report(path: Path) -> str:
    """The worst 10 s windows of event-loop lag, pool wait and generation-2 collector pauses
    that ``bench.probe`` wrote; removes the file."""
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    path.unlink(missing_ok=True)
    if not lines:
        return "  probe: nothing written"
    out = [f"  probe: {len(lines)} windows of 10 s over the workers"]
    for key in ("loop_lag", "pool_wait", "gc2_pause"):
        worst = sorted(lines, key=lambda w: w.get(key, {}).get("max_ms", 0.0), reverse=True)[:3]
        p99s = sorted(w.get(key, {}).get("p99_ms", 0.0) for w in lines)
        count = sum(w.get(key, {}).get("n", 0) for w in lines)
        out.append(
            f"  {key}: {count} in all, median window p99 {p99s[len(p99s) // 2]:.1f} ms; worst windows "
            + ", ".join(
                f"p99 {w[key].get('p99_ms', 0)} / max {w[key].get('max_ms', 0)} ms"
                f" (pid {w['pid']} at {w.get('at', '?')})"
                for w in worst
                if key in w
            )
        )
    return "\n".join(out)


def report_step(label: str, rps: float, tally: Tally, cpu: str) -> None:
    errors = sum(tally.errors.values())
    print(
        f"  {label:>14}: {rps:7.1f} req/s  p50 {pct(tally.latencies, 0.5):7.1f} ms  "
        f"p99 {pct(tally.latencies, 0.99):7.1f} ms  errors {errors}  ({cpu})"
        + (f" {dict(sorted(tally.errors.items()))}" if errors else ""),
        flush=True,
    )


async def main(args: argparse.Namespace) -> int:
    async with pg_database("mzbench_load") as url:
        print(f"seeding {args.households} households, {args.addresses} addresses, indicators …", flush=True)
        started = time.perf_counter()
        ids, texts, terms, codes = await seed(url, args.households, args.addresses)
        print(f"seeded in {time.perf_counter() - started:.0f} s; {_machine()}", flush=True)
        settings = Settings(database_url=url, env="test", _env_file=None)
        token = mint(settings, sub="bench-load", roles=["operator"], region="330500")
        port = free_port()
        env = {
            "MZ_DATABASE_URL": url,
            "MZ_ENV": "test",
            "MZ_LOG_LEVEL": "WARNING",
            "MZ_NODE_REGION": "330500",
            "MZ_AUTH_FAIL_LIMIT": "1000",
        }
        serve = [sys.executable, "-m", "app", "serve", "--workers", str(args.workers), "--port", str(port)]
        probe_file = Path(tempfile.mkstemp(prefix="mzbench-probe-", suffix=".jsonl")[1])
        if args.probe:
            # The same service with the loop-lag and pool-wait instruments of bench.probe.
            env["MZ_BENCH_PROBE_FILE"] = str(probe_file)
            serve = [
                sys.executable, "-m", "bench.probe", "--port", str(port), "--workers", str(args.workers),
            ]  # fmt: skip
        server_log = Path(tempfile.mkstemp(prefix="mzbench-load-", suffix=".log")[1])
        with started_process(serve, env, port, ready_path="/readyz", keep_log=server_log) as (base, proc):
            workers = worker_processes(proc.pid)
            if len(workers) != args.workers:
                raise RuntimeError(f"expected {args.workers} worker processes, found {len(workers)}")
            limits = httpx.Limits(
                max_connections=CONNECTIONS_EACH, max_keepalive_connections=CONNECTIONS_EACH
            )
            async with contextlib.AsyncExitStack() as stack:
                tls = ssl.create_default_context()  # unused over http://, but built once, not per client
                clients = [
                    await stack.enter_async_context(
                        httpx.AsyncClient(
                            base_url=base,
                            verify=tls,
                            headers={"Authorization": f"Bearer {token}"},
                            limits=limits,
                            timeout=httpx.Timeout(30, pool=60),
                        )
                    )
                    for _ in range(CLIENTS)
                ]
                work = Workload(clients, ids, texts, terms, codes)
                # Connections opened one at a time, as a proxy's pool grows (each worker
                # listens on its own socket: the kernel spreads them).
                for client in clients:
                    await client.get("/healthz")
                    await asyncio.sleep(0.02)
                spread = [
                    sum(
                        1
                        for c in w.net_connections(kind="tcp")
                        if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
                    )
                    for w in workers
                ]
                print(f"client connections per worker: {' / '.join(map(str, spread))}")
                await closed_loop(work, 4, 5)  # warm the caches and the pools
                print(
                    f"\nsaturation: closed loop, {args.step_seconds:.0f} s per level, {args.workers} workers"
                )
                best_rps, best_level, first_p99, stalled = 0.0, 0, 0.0, 0
                cpu = CpuMeter(workers)
                for level in args.levels:
                    cpu.start()
                    rps, tally = await closed_loop(work, level, args.step_seconds)
                    report_step(f"{level} clients", rps, tally, cpu.read())
                    p99 = pct(tally.latencies, 0.99)
                    first_p99 = first_p99 or p99
                    grew = rps > best_rps * 1.05
                    if rps > best_rps:
                        best_rps, best_level = rps, level
                    stalled = 0 if grew else stalled + 1
                    if stalled == 2 or p99 > 10 * first_p99:
                        break
                rate = args.fraction * best_rps
                warmup = min(max(20.0, 0.2 * args.hold), args.hold / 2)
                print(
                    f"saturation: {best_rps:.1f} req/s at {best_level} clients\n\n"
                    f"hold: open loop at {rate:.1f} req/s ({args.fraction:.0%}) for {args.hold:.0f} s",
                    flush=True,
                )
                cpu.start()
                # The generator's start-up heap out of its collector's reach, as the workers do.
                gc.collect()
                gc.freeze()
                pauses = Pauses()
                lag = Lag()
                held, tally, samples = await open_loop(work, rate, args.hold, workers, CONNECTIONS, lag)
                report_step("held", held, tally, cpu.read())
                print(pauses.report())
        for kind, values in sorted(tally.by_kind.items()):
            p50, p99 = pct(values, 0.5), pct(values, 0.99)
            print(f"  {kind:>9}: {len(values):6d} requests  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
        print(tail_seconds(tally, lag))
        logged = server_messages(server_log)
        probed = probe_report(probe_file)
        if args.probe:
            print(probed)
        for message, count in logged.most_common(5):
            print(f"  service log: {count} × {message[:100]}")
        base_sample = next((s for s in samples if s[0] >= warmup), samples[-1])
        after = [s for s in samples if s[0] >= warmup]
        growth = []
        for k in range(len(workers)):
            start = base_sample[1][k]
            peak = max(s[1][k] for s in after)
            growth.append(peak / start)
            print(
                f"  worker {k + 1} RSS: {samples[0][1][k] / 2**20:.1f} MiB at start, "
                f"{start / 2**20:.1f} MiB after {warmup:.0f} s warm-up, max {peak / 2**20:.1f} MiB, "
                f"end {samples[-1][1][k] / 2**20:.1f} MiB"
            )
        errors = sum(tally.errors.values())
        p50, p99 = pct(tally.latencies, 0.5), pct(tally.latencies, 0.99)
        print(
            f"\nheld / saturation throughput: {held / best_rps:.3f} (target {args.fraction})\n"
            f"held p50 {p50:.1f} ms, p99 {p99:.1f} ms: p99 / p50 {p99 / max(p50, 1e-9):.1f} (target <= 10)\n"
            f"RSS max / after warm-up: {' '.join(f'{g:.3f}' for g in growth)} (target <= 1.10)\n"
            f"errors during the hold: {errors}\n{_machine()}"
        )
        return 1 if errors else 0


def tail_seconds(tally: Tally, lag: Lag, shown: int = 5) -> str:
    """When the hold's slowest requests were due: the seconds (wall clock) holding most of the
    requests slower than the hold's p99. A stall shows as one or a few seconds holding them all;
    a tail spread over the whole hold as many seconds with a few each."""
    if not tally.latencies:
        return "  tail: no requests"
    p99 = pct(tally.latencies, 0.99) / 1000
    offset = time.time() - time.perf_counter()
    late = Counter(
        int(due + offset)
        for due, latency in zip(tally.scheduled, tally.latencies, strict=True)
        if latency >= p99
    )
    worst = ", ".join(
        f"{time.strftime('%H:%M:%S', time.gmtime(second))} UTC {count} "
        f"(generator's loop {lag.at(second):.0f} ms late)"
        for second, count in late.most_common(shown)
    )
    return (
        f"  tail: {sum(late.values())} requests at or above p99, due in {len(late)} distinct "
        f"seconds; most in {worst}"
    )


def _machine() -> str:
    """The machine is shared: its load average puts the figures in context."""
    one, five, _ = os.getloadavg()
    return f"machine: {os.cpu_count()} CPUs, load average {one:.2f} (1 min) {five:.2f} (5 min)"


def _levels(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--addresses", type=int, default=20000)
    parser.add_argument("--hold", type=float, default=300.0)
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument(
        "--levels", type=_levels, default=[2, 4, 8, 16, 32, 64], help=f"at most {CONNECTIONS}"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fraction", type=float, default=0.6, help="of saturation, held")
    parser.add_argument(
        "--probe", action="store_true", help="record event-loop lag and pool waits (bench.probe)"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
