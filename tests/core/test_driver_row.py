"""``Database.driver_row``: a PostgreSQL read of one statement on a pooled connection of its
own — the row, the connection back in the pool, an outage as ``ConnectionError`` (503)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import Database
from tests.conftest import make_settings
from tests.databases import PG_SERVER_URL


async def test_a_row_is_read_and_the_connection_returned(require_pg: str) -> None:
    db = Database(make_settings(require_pg))
    try:
        marker = uuid.uuid4()
        for _ in range(3):
            row = await db.driver_row("SELECT $1::uuid AS id, $2::text AS scope", marker, "3305%")
            assert row["id"] == marker
            assert row["scope"] == "3305%"
            assert db.pool_status()["checkedout"] == 0
        assert await db.driver_row("SELECT 1 WHERE false") is None
    finally:
        await db.dispose()


async def test_members_json_is_decoded(require_pg: str) -> None:
    db = Database(make_settings(require_pg))
    try:
        row = await db.driver_row("""SELECT json_build_array(json_build_object('n', '成员', 'a', 61)) AS m""")
        assert row["m"] == [{"n": "成员", "a": 61}]
    finally:
        await db.dispose()


async def test_an_unreachable_server_is_a_connection_error(require_pg: str) -> None:
    closed = make_url(PG_SERVER_URL).set(port=1).render_as_string(hide_password=False)
    settings: Settings = make_settings(closed, db_pool_timeout_s=2.0)
    db = Database(settings)
    try:
        with pytest.raises(ConnectionError):
            await db.driver_row("SELECT 1")
        assert db.pool_status()["checkedout"] == 0
    finally:
        await db.dispose()


async def test_a_dropped_connection_is_a_connection_error_and_not_reused(require_pg: str) -> None:
    db = Database(make_settings(require_pg))
    try:
        pid = (await db.driver_row("SELECT pg_backend_pid() AS pid"))["pid"]
        other = Database(make_settings(require_pg))
        try:
            await other.driver_row("SELECT pg_terminate_backend($1)", pid)
        finally:
            await other.dispose()
        outcomes = []
        for _ in range(db.pool_status().get("size", 1) + 1):
            try:
                outcomes.append((await db.driver_row("SELECT pg_backend_pid() AS pid"))["pid"])
            except ConnectionError:
                outcomes.append("lost")
        # The terminated connection fails at most once, then is replaced.
        assert outcomes.count("lost") <= 1
        assert pid not in outcomes
    finally:
        await db.dispose()
