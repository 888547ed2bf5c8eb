"""One migration history, valid on both engines: round trip and no drift from the models."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.db import metadata
from app.core.migrations import downgrade, head_revision, upgrade
from app.models import import_all_models


def _diff(conn: Any) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    import_all_models()
    diffs = compare_metadata(context, metadata)
    return [d for d in diffs if not (d[0] == "remove_table" and "_fts" in d[1].name)]


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def test_round_trip_and_no_drift(fresh_db: Callable[..., Any]) -> None:
    url = await fresh_db(migrate=False)
    await asyncio.to_thread(upgrade, url)
    assert "audit_log" in await _tables(url)
    await asyncio.to_thread(downgrade, url, "base")
    assert await _tables(url) <= {"alembic_version"}
    await asyncio.to_thread(upgrade, url)

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        diffs = await conn.run_sync(_diff)
        version = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar()
    await engine.dispose()
    assert diffs == [], f"models and migrations differ: {diffs}"
    assert version == head_revision()
