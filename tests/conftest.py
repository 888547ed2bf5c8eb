"""Suite-wide fixtures: one migrated database and app per run, clients and tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.reference import load_reference
from app.security.tokens import mint
from tests.databases import IN_CI, PG_SERVER_URL, TestDatabase, engine_name, pg_available

NODE_REGION = "330500"


def make_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "env": "test",
        "node_region": NODE_REGION,
        "auth_fail_limit": 1000,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def engine() -> str:
    return engine_name()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    db = TestDatabase()
    url = await db.create()
    yield url
    await db.drop()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    database = Database(settings)
    await load_reference(database, settings)
    application = create_app(settings, database=database)
    yield application
    await database.dispose()


@pytest.fixture(scope="session")
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def auth(settings: Settings) -> TokenFactory:
    """``auth("operator", region="330502")`` → headers with a bearer token."""

    def make(
        *roles: str, region: str = NODE_REGION, sub: str | None = None, ttl: timedelta | None = None
    ) -> dict[str, str]:
        token = mint(
            settings,
            sub=sub or f"test-{'-'.join(roles)}",
            roles=list(roles or ("viewer",)),
            region=region,
            ttl=ttl,
        )
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture(scope="session")
async def require_pg() -> str:
    """The PostgreSQL server URL for tests that need PostgreSQL whatever the suite's engine.

    Skips when no server answers, except under CI=true where that is a failure.
    """

    if not await pg_available():
        if IN_CI:
            pytest.fail("PostgreSQL is required under CI=true but does not answer")
        pytest.skip("PostgreSQL is not reachable")
    return PG_SERVER_URL


@pytest.fixture
async def fresh_db() -> AsyncIterator[Callable[..., Any]]:
    """A factory of databases of their own for tests that need a pristine one."""
    created: list[TestDatabase] = []

    async def make(engine: str | None = None, *, migrate: bool = True) -> str:
        tdb = TestDatabase(engine)
        created.append(tdb)
        return await tdb.create(migrate=migrate)

    yield make
    for tdb in created:
        await tdb.drop()


def pytest_report_header() -> list[str]:
    return [f"mzbrain test engine: {engine_name()}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres`` tests run when the suite's engine is PostgreSQL; on SQLite they
    are deselected (not skipped: under CI=true a skip is a failure)."""
    if engine_name() == "postgresql":
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Under CI=true nothing may skip: a skipped test (PostgreSQL unreachable, say) fails."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {report.longrepr}"
