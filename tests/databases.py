"""Test databases: a fresh SQLite file or a fresh PostgreSQL database, migrated to head.

``MZ_TEST_DATABASE_URL`` chooses the engine for the whole suite: unset (or a SQLite URL) runs
on SQLite; a ``postgresql+asyncpg://`` URL names a server on which every test database is
created (UTF8, ``LC_CTYPE 'C.UTF-8'``, from template0) and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.core.migrations import upgrade

SERVER_URL = os.environ.get("MZ_TEST_DATABASE_URL", "").strip()
PG_SERVER_URL = os.environ.get("MZ_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def engine_name() -> str:
    return "postgresql" if SERVER_URL.startswith("postgresql") else "sqlite"


def _dsn(url: str, database: str) -> str:
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


async def pg_available(server_url: str = PG_SERVER_URL) -> bool:
    try:
        conn = await asyncpg.connect(_dsn(server_url, "postgres"), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def create_pg_database(server_url: str, prefix: str = "mzt") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(server_url, "postgres"))
    try:
        await conn.execute(
            f"CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' "
            "TEMPLATE template0"
        )
    finally:
        await conn.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(url: str) -> None:
    parsed = make_url(url)
    conn = await asyncpg.connect(_dsn(url, "postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {parsed.database} WITH (FORCE)")
    finally:
        await conn.close()


class TestDatabase:
    """One database for a test or a suite; ``url`` is ready after ``create()``."""

    __test__ = False  # a helper, not a test class

    def __init__(self, engine: str | None = None) -> None:
        self.engine = engine or engine_name()
        self.url = ""
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    async def create(self, *, migrate: bool = True) -> str:
        if self.engine == "postgresql":
            self.url = await create_pg_database(SERVER_URL or PG_SERVER_URL)
        else:
            self._dir = tempfile.TemporaryDirectory(prefix="mzt-")
            self.url = f"sqlite+aiosqlite:///{Path(self._dir.name) / 'test.db'}"
        if migrate:
            await asyncio.to_thread(upgrade, self.url)
        return self.url

    async def drop(self) -> None:
        if self.engine == "postgresql" and self.url:
            await drop_pg_database(self.url)
        if self._dir is not None:
            self._dir.cleanup()
