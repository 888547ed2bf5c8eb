"""Shared pieces of the benchmarks: a throwaway PostgreSQL database, a service process, and
wrk runs whose results are compared within one session."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

from tests.databases import create_pg_database, drop_pg_database

PG_SERVER = os.environ.get("MZ_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
ROOT = Path(__file__).resolve().parents[1]


@contextlib.asynccontextmanager
async def pg_database(prefix: str = "mzbench") -> AsyncIterator[str]:
    url = await create_pg_database(PG_SERVER, prefix)
    try:
        yield url
    finally:
        await drop_pg_database(url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], port: int, ready_path: str = "/healthz") -> Iterator[str]:
    """Start a server process, wait until it answers on 127.0.0.1:port, stop it afterwards."""
    with started_process(args, env, port, ready_path) as (base, _proc):
        yield base


@contextlib.contextmanager
def started_process(
    args: list[str],
    env: dict[str, str],
    port: int,
    ready_path: str = "/healthz",
    keep_log: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """:func:`process`, yielding the process too (to find its workers and sample their memory);
    with ``keep_log`` its output is copied there when it stops."""
    log = tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        args,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {Path(log.name).read_text()[-2000:]}")
            try:
                if httpx.get(base + ready_path, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield base, proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        if keep_log is not None:
            shutil.copyfile(log.name, keep_log)
        Path(log.name).unlink(missing_ok=True)


def uvicorn_args(app: str, port: int, *, factory: bool = False, workers: int = 1) -> list[str]:
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if factory:
        args.append("--factory")
    return args


def wrk(
    url: str, *, seconds: int, connections: int, headers: dict[str, str] | None = None, lua: str | None = None
) -> dict[str, float]:
    """Requests/s and latency percentiles from one wrk run."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    script = None
    if lua:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        script.write(lua)
        script.close()
        args += ["-s", script.name]
    args.append(url)
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if script:
        Path(script.name).unlink(missing_ok=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result = {"rps": rps, "non_2xx": float(errors.group(1)) if errors else 0.0}
    for pct in ("50", "99"):
        found = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        if found:
            unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
            result[f"p{pct}_ms"] = float(found.group(1)) * unit
    return result


def lua_paths(paths: list[str]) -> str:
    """A wrk script that cycles through request paths."""
    items = ",".join(json.dumps(p) for p in paths)
    return (
        f"local paths = {{{items}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n"
    )


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]
