"""Worker processes for ``serve --workers N``: each worker listens on its own socket bound to the
same address with ``SO_REUSEPORT``, so the kernel spreads new connections evenly over them. With
one shared listening socket (uvicorn's own supervisor) the worker that wakes first accepts every
connection waiting, and a proxy's keep-alive connections, opened in a burst, stay on one worker
for their whole life.

The supervisor starts the workers, replaces one that dies, and on SIGTERM or SIGINT asks each to
stop (uvicorn's graceful shutdown) and waits for them. A worker that dies within
``EARLY_EXIT_S`` of its start three times in a row stops the node: it would not start again.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import socket
import threading
import time
from multiprocessing.context import SpawnProcess
from types import FrameType

import uvicorn

log = logging.getLogger("app.cli")

EARLY_EXIT_S = 5.0
EARLY_EXITS_ALLOWED = 3
POLL_S = 0.5

_spawn = multiprocessing.get_context("spawn")


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other sockets of this node may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _worker(config: uvicorn.Config) -> None:
    """One worker process: its own socket, then uvicorn's server on it."""
    config.configure_logging()
    sock = listening_socket(config.host, config.port)
    # A SIGINT from a terminal reaches the whole process group: the supervisor stops the workers.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    def __init__(self, config: uvicorn.Config, workers: int) -> None:
        self.config = config
        self.slots: list[tuple[SpawnProcess, float] | None] = [None] * workers
        self.early_exits = [0] * workers
        self.stop = threading.Event()
        self.failed = False

    def _start(self, slot: int) -> None:
        process = _spawn.Process(target=_worker, args=(self.config,), daemon=False)
        process.start()
        self.slots[slot] = (process, time.monotonic())

    def _signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop.set()

    def _check(self) -> None:
        """Replace the workers that died; give up on one that keeps dying at start."""
        for slot, entry in enumerate(self.slots):
            if entry is None or entry[0].is_alive():
                continue
            process, started = entry
            early = time.monotonic() - started < EARLY_EXIT_S
            self.early_exits[slot] = self.early_exits[slot] + 1 if early else 0
            if self.early_exits[slot] >= EARLY_EXITS_ALLOWED:
                log.error("worker exits right after it starts (code %s): stopping", process.exitcode)
                self.failed = True
                self.stop.set()
                return
            log.warning("worker %s exited with code %s: starting another", process.pid, process.exitcode)
            self._start(slot)

    def run(self) -> int:
        # The address must be free (or shared by design) before any worker tries it.
        listening_socket(self.config.host, self.config.port).close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._signal)
        for slot in range(len(self.slots)):
            self._start(slot)
        log.info("serving on %s:%s with %d workers", self.config.host, self.config.port, len(self.slots))
        while not self.stop.wait(POLL_S):
            self._check()
        self._shutdown()
        return 1 if self.failed else 0

    def _shutdown(self) -> None:
        running = [entry[0] for entry in self.slots if entry is not None and entry[0].is_alive()]
        for process in running:
            process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        grace = (self.config.timeout_graceful_shutdown or 30) + 5
        deadline = time.monotonic() + grace
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("worker %s did not stop within %.0f s: killed", process.pid, grace)
                process.kill()
                process.join()
