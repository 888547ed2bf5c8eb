"""The service as ``bench.load --probe`` runs it: unchanged, plus two instruments that show
where a latency tail comes from, written every 10 s as one JSON line per worker to the file
named by ``MZ_BENCH_PROBE_FILE``:

- **loop lag**: a task that sleeps 5 ms and measures how late it wakes — a callback that
  blocks the event loop (synchronous work in a handler) shows here;
- **pool wait**: the time each checkout waits for a database connection of the pool.

Used only by the benchmark (a uvicorn factory in a process of its own); never served."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.cli.serve import worker_app


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"n": len(ordered), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0)}


class Probe:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lags: list[float] = []
        self.waits: list[float] = []
        self.task: asyncio.Task[None] | None = None

    def wrap_pool(self, pool: Any) -> None:
        get: Callable[[], Any] = pool._do_get

        def timed() -> Any:
            if self.task is None:  # the first checkout runs on the worker's loop: start there
                self.task = asyncio.get_running_loop().create_task(self.run())
            started = time.perf_counter()
            try:
                return get()
            finally:
                self.waits.append(time.perf_counter() - started)

        pool._do_get = timed

    async def run(self) -> None:
        written = time.monotonic()
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            self.lags.append(time.perf_counter() - started - 0.005)
            if time.monotonic() - written >= 10:
                written = time.monotonic()
                lags, waits = _summary(self.lags), _summary(self.waits)
                line = {"pid": os.getpid(), "loop_lag": lags, "pool_wait": waits}
                self.lags, self.waits = [], []
                with open(self.path, "a") as out:  # noqa: ASYNC230 - a line every 10 s, measured itself
                    out.write(json.dumps(line) + "\n")


def probed_app() -> FastAPI:
    app = worker_app()
    probe = Probe(os.environ["MZ_BENCH_PROBE_FILE"])
    probe.wrap_pool(app.state.db.engine.sync_engine.pool)
    return app
