"""``serve`` and ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import uvicorn

from app.cli.workers import Supervisor
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.logs import configure_logging
from app.core.migrations import current, downgrade, upgrade
from app.reference import load_reference

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("app.cli")


def check_keys(settings: Settings) -> None:
    """Refuse to start on keys that cannot be used: in production, development or weak
    secrets (every setting at fault named at once); anywhere, key material that does not load."""
    settings.check_production()
    from app.security.pii import PiiCipher
    from app.security.tokens import TokenVerifier

    try:
        verifier = TokenVerifier(settings)
    except Exception as exc:  # a missing file, bad PEM or JWKS: each its own exception type
        raise RuntimeError(
            f"MZ_JWT_PUBLIC_KEYS / MZ_JWT_JWKS_FILE: cannot be loaded ({type(exc).__name__})"
        ) from None
    if not verifier.keys:
        raise RuntimeError("MZ_JWT_SECRET: no key verifies tokens (set it, or MZ_JWT_PUBLIC_KEYS)")
    try:
        PiiCipher.from_settings(settings)
    except (ValueError, TypeError) as exc:
        raise RuntimeError(f"MZ_PII_KEYS: {exc}") from None
    unbounded = [p.name for p in settings.sync_peers if p.relation == "child" and p.region is None]
    if unbounded and settings.is_production:
        log.warning(
            "MZ_SYNC_PEERS: child peers without a configured region (pinned on first contact): %s",
            ", ".join(unbounded),
        )


def forwarded_options(settings: Settings) -> dict[str, Any]:
    """Proxy headers (``X-Forwarded-For``, ``-Proto``) are believed only from the addresses in
    ``MZ_FORWARDED_ALLOW_IPS``; by default from nobody, so the client address is the peer's."""
    allowed = ",".join(p.strip() for p in settings.forwarded_allow_ips.split(",") if p.strip())
    if not allowed:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": allowed}


def prepare(*, migrate: bool = True) -> None:
    """Apply migrations and load shipped reference data."""
    settings = get_settings()
    check_keys(settings)
    if migrate:
        upgrade(settings.database_url, settings=settings)

    async def _load() -> None:
        db = Database(settings)
        try:
            await load_reference(db, settings)
        finally:
            await db.dispose()

    asyncio.run(_load())


Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]

FULL_COLLECTION_EVERY = 100
"""Generation-1 collections between two full ones in a serving worker (Python's default: 10)."""


def settled(lifespan: Lifespan) -> Lifespan:
    """The worker's lifespan, then what a long-running worker does once before it serves: the
    address matcher's pinyin tables loaded (not on the first match), and every object built so
    far moved out of the collector's reach (``gc.freeze``). Without the freeze, each full
    (generation-2) collection walks the ~400k objects of the modules, routes and tables, and
    stalls every request the worker holds while it runs."""

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            from app.address.scoring import syllables

            syllables("湖州")
            gc.collect()
            gc.freeze()
            # With the start-up heap frozen, the collector's rule for a full collection (old
            # objects grown by a quarter) holds almost every tenth generation-1 collection;
            # full collections a tenth as often keep the pauses off most requests.
            young, middle, _old = gc.get_threshold()
            gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
            yield state

    return run


def worker_app() -> FastAPI:
    """The application of one worker process. With ``--workers`` above 1 every worker is a
    fresh interpreter: it needs the JSON logging configured here, not only in the parent."""
    from app.main import create_app

    configure_logging(get_settings().log_level)
    app = create_app()
    app.router.lifespan_context = settled(app.router.lifespan_context)
    return app


def _serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    prepare(migrate=settings.auto_migrate and not args.no_migrate)
    options: dict[str, Any] = {
        "factory": True,
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "timeout_keep_alive": settings.keep_alive_s,
        **forwarded_options(settings),
    }
    workers = args.workers or settings.workers
    if workers > 1:
        # Each worker on its own SO_REUSEPORT socket: connections spread evenly (app.cli.workers).
        return Supervisor(uvicorn.Config("app.cli.serve:worker_app", **options), workers).run()
    uvicorn.run("app.cli.serve:worker_app", **options)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    if args.action == "upgrade":
        target = args.revision or "head"
        if target == "head":
            prepare(migrate=True)
        else:
            upgrade(settings.database_url, target, settings=settings)
    elif args.action == "downgrade":
        downgrade(settings.database_url, args.revision or "-1")
    else:
        current(settings.database_url)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("serve", help="migrate, load reference data and serve HTTP")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--no-migrate", action="store_true", help="skip applying migrations")
    p.set_defaults(handler=_serve)

    m = commands.add_parser("migrate", help="apply or roll back database migrations")
    m.add_argument("action", choices=["upgrade", "downgrade", "current"])
    m.add_argument("revision", nargs="?", help="target revision (upgrade: head; downgrade: -1)")
    m.set_defaults(handler=_migrate)
