"""A node of its own for the analytics tests: a fresh database (the suite's engine), migrated,
with reference data and the records of :mod:`tests.analytics.seed` — so every figure can be
compared with one computed by hand, whatever else the suite writes elsewhere."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from app.core.clock import clock
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.reference import load_reference
from app.security.tokens import mint
from tests.analytics.seed import TODAY, Seeded, seed
from tests.conftest import make_settings
from tests.databases import TestDatabase

NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class Brain:
    app: FastAPI
    settings: Settings
    db: Database
    client: httpx.AsyncClient
    seeded: Seeded

    def auth(self, *roles: str, region: str = "330500") -> dict[str, str]:
        token = mint(
            self.settings, sub=f"brain-{'-'.join(roles)}", roles=list(roles or ("viewer",)), region=region
        )
        return {"Authorization": f"Bearer {token}"}

    async def get(
        self, path: str, *roles: str, region: str = "330500", since: str | None = None, **params: str
    ) -> httpx.Response:
        """GET with a token of ``roles`` scoped to ``region``; ``since`` is sent as ``from``."""
        if since is not None:
            params["from"] = since
        return await self.client.get(
            path, params=params, headers=self.auth(*(roles or ("viewer",)), region=region)
        )


@pytest.fixture(scope="package")
async def brain() -> AsyncIterator[Brain]:
    tdb = TestDatabase()
    url = await tdb.create()
    settings = make_settings(url)
    db = Database(settings)
    try:
        await load_reference(db, settings)
        app = create_app(settings, database=db)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://brain") as client:
            node = Brain(app, settings, db, client, Seeded())
            with clock.frozen(NOW):
                node.seeded = await seed(client, node.auth("admin"), node.auth("operator"), db)
            yield node
    finally:
        await db.dispose()
        await tdb.drop()


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    """Ages, default windows and trends are read on 2026-06-15 (Beijing time)."""
    with clock.frozen(NOW):
        yield
