"""Engines, sessions and the shared metadata.

One :class:`Database` per process holds the async engine and two session factories. Requests
get a session from :func:`read_session` or :func:`write_session`; the session commits when the
endpoint returns and rolls back when it raises, before the response is sent. Services never
commit.

SQLite runs in WAL mode with foreign keys on and a busy timeout. Its transactions are begun by
hand (the driver's implicit transactions are switched off) so that write requests take the
write lock up front with ``BEGIN IMMEDIATE``: a deferred transaction that reads, then writes,
can fail with SQLITE_BUSY_SNAPSHOT when another writer committed in between.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from pydantic_core import from_json
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlalchemy.util import greenlet_spawn
from sqlmodel import SQLModel

from app.core.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata

_BEGIN_OPTION = "mzbrain_sqlite_begin"
# Each session's ceiling for temporary tables' buffers (PostgreSQL's default is 8 MB). Only a
# session that uses temporary tables takes the memory, as it needs it: the address import's
# staging and allocation tables, the sync apply's staging. Above the ceiling every scan of
# them goes through the operating system's files. Fixed at a session's first use of a
# temporary table, so it is set when the connection opens.
TEMP_BUFFERS = "256MB"


def _sqlite_connect_hooks(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"connect_args": {"timeout": settings.sqlite_busy_timeout_ms / 1000}}
        if path is None:
            kwargs["poolclass"] = StaticPool
        engine = create_async_engine(url, echo=settings.db_echo, **kwargs)
        _sqlite_connect_hooks(engine, settings.sqlite_busy_timeout_ms)
        return engine
    # No JIT compilation of plans: PostgreSQL compiles any plan costed above jit_above_cost, and
    # for this service's statements (milliseconds to a few seconds) compiling costs more than it
    # saves — 8 of the 10 s of one quality rule at city scale.
    server_settings = {"application_name": "mzbrain", "jit": "off", "temp_buffers": TEMP_BUFFERS}
    if settings.db_statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
    return create_async_engine(
        url,
        echo=settings.db_echo,
        # JSON values (members read with their household, change-log snapshots) decoded by
        # pydantic-core: the same values as json.loads, in half the time.
        json_deserializer=from_json,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        pool_pre_ping=settings.db_pool_pre_ping,
        pool_recycle=1800,
        connect_args={"server_settings": server_settings, "timeout": settings.db_pool_timeout_s},
    )


class Database:
    """The engine and session factories of one process."""

    def __init__(self, settings: Settings, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.is_postgres = self.engine.dialect.name == "postgresql"
        write_engine = (
            self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}) if self.is_sqlite else self.engine
        )
        # Reads on PostgreSQL run in autocommit: no BEGIN/COMMIT round trips for a GET.
        read_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT") if self.is_postgres else self.engine
        )
        self.reader = async_sessionmaker(read_engine, expire_on_commit=False, autoflush=False)
        self.writer = async_sessionmaker(write_engine, expire_on_commit=False, autoflush=False)

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def driver_row(self, statement: str, *args: Any) -> Any:
        """One row of a statement run by asyncpg on a pooled connection checked out for it alone,
        outside any transaction (PostgreSQL reads of a single statement: no session, no
        SQLAlchemy connection or result per request). A lost or unreachable server raises
        :class:`ConnectionError`, which answers 503 like any other outage."""
        try:
            raw = await self.engine.raw_connection()
        except (ConnectionError, TimeoutError, PoolTimeout):
            raise
        except (
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            OSError,
            self.engine.dialect.loaded_dbapi.Error,
        ) as exc:
            raise ConnectionError("the database is unavailable") from exc
        try:
            return await raw.driver_connection.fetchrow(statement, *args)  # type: ignore[union-attr]
        except _DRIVER_CONNECTION_ERRORS as exc:
            raw.invalidate(exc)
            raise ConnectionError("the database connection was lost") from exc
        finally:
            await greenlet_spawn(raw.close)

    def pool_status(self) -> dict[str, int]:
        pool: Any = self.engine.sync_engine.pool
        out: dict[str, int] = {}
        for name in ("size", "checkedout", "checkedin", "overflow"):
            method = getattr(pool, name, None)
            if callable(method):
                out[name] = int(method())
        return out


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def database(request: Request) -> Database:
    return get_database(request)


Db = Annotated[Database, Depends(database)]
"""The process's database, for reads that open what they need themselves (a pooled
connection for one statement, a session for more)."""


async def _session(
    factory: async_sessionmaker[AsyncSession], *, autocommit: bool = False
) -> AsyncIterator[AsyncSession]:
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            # In autocommit every statement has committed already: only ORM objects still
            # pending need the commit (its flush).
            if not autocommit or session.new or session.dirty or session.deleted:
                await session.commit()


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    db = get_database(request)
    async for session in _session(db.reader, autocommit=db.is_postgres):
        yield session


async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in _session(get_database(request).writer):
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
"""A request's session for reading (it still commits, for audit events written by reads)."""

WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
"""A request's session for writing; on SQLite it holds the write lock from the start."""


def sqlite_file(engine: AsyncEngine) -> Path | None:
    database = engine.url.database
    return Path(database) if database and database != ":memory:" else None


def dialect_of(session: AsyncSession) -> str:
    """``postgresql`` or ``sqlite``: the engine behind a session."""
    bind = session.bind
    return bind.dialect.name if bind is not None else ""


# asyncpg's own errors when the server or the connection is gone (SQLSTATE class 08, 57P0x,
# a closed connection, or a protocol left out of step when the server ended the session
# between two statements): what SQLAlchemy would report as a lost connection.
_DRIVER_CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,
)


async def fetch_driver_row(session: AsyncSession, statement: str, *args: Any) -> Any:
    """One row of a statement run by asyncpg itself on the session's connection (PostgreSQL
    reads that skip SQLAlchemy's execution context). A lost connection is invalidated and
    raised as :class:`ConnectionError`, which answers 503 like any other outage."""
    return await _by_driver(session, "fetchrow", statement, args)


async def fetch_driver_rows(session: AsyncSession, statement: str, *args: Any) -> list[Any]:
    """Every row of a statement run by asyncpg itself, as :func:`fetch_driver_row` runs one:
    the driver's records, read by position or by column name."""
    rows: list[Any] = await _by_driver(session, "fetch", statement, args)
    return rows


async def driver_of(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, inside the session's transaction (for what
    only the driver offers, such as ``COPY``)."""
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def _by_driver(session: AsyncSession, method: str, statement: str, args: tuple[Any, ...]) -> Any:
    connection = await session.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    try:
        return await getattr(driver, method)(statement, *args)
    except _DRIVER_CONNECTION_ERRORS as exc:
        await connection.invalidate(exc)
        raise ConnectionError("the database connection was lost") from exc
