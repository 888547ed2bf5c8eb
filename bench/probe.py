"""The service as ``bench.load --probe`` runs it: unchanged, plus two instruments that show
where a latency tail comes from, written every 10 s as one JSON line per worker to the file
named by ``MZ_BENCH_PROBE_FILE``:

- **loop lag**: a task that sleeps 5 ms and measures how late it wakes — a callback that
  blocks the event loop (synchronous work in a handler) shows here;
- **pool wait**: the time each checkout waits for a database connection of the pool;
- **collector pauses**: how long each garbage collection of generation 2 (the full ones, whose
  cost grows with the heap) held the process, timed by ``gc.callbacks``.

Used only by the benchmark (``python -m bench.probe --port P --workers N``: the workers of
``serve``, each with its own listening socket, running this factory); never served."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from app.cli.serve import worker_app
from app.cli.workers import Supervisor


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
        self.pauses: list[float] = []
        self.collecting: float | None = None
        self.task: asyncio.Task[None] | None = None
        gc.callbacks.append(self.on_collect)

    def on_collect(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self.collecting = time.perf_counter()
        elif self.collecting is not None:
            self.pauses.append(time.perf_counter() - self.collecting)
            self.collecting = None

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
                lags, waits, pauses = _summary(self.lags), _summary(self.waits), _summary(self.pauses)
                line = {
                    "pid": os.getpid(),
                    "at": round(time.time(), 1),
                    "loop_lag": lags,
                    "pool_wait": waits,
                    "gc2_pause": pauses,
                }
                self.lags, self.waits, self.pauses = [], [], []
                with open(self.path, "a") as out:  # noqa: ASYNC230 - a line every 10 s, measured itself
                    out.write(json.dumps(line) + "\n")


def probed_app() -> FastAPI:
    app = worker_app()
    probe = Probe(os.environ["MZ_BENCH_PROBE_FILE"])
    probe.wrap_pool(app.state.db.engine.sync_engine.pool)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the service with the probe, as bench.load runs it")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = uvicorn.Config(
        "bench.probe:probed_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        log_level="warning",
    )
    raise SystemExit(Supervisor(config, args.workers).run())
