"""Brute force: failed authentications from one address turn into 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from app.core.db import Database
from app.main import create_app
from tests.conftest import make_settings


async def test_failed_authentications_are_rate_limited(fresh_db: Callable[..., Any]) -> None:
    settings = make_settings(await fresh_db(), auth_fail_limit=3, auth_fail_window_s=60)
    db = Database(settings)
    app = create_app(settings, database=db)
    try:
        attacker = httpx.ASGITransport(app=app, client=("10.0.0.66", 1234))
        bystander = httpx.ASGITransport(app=app, client=("10.0.0.67", 1234))
        async with httpx.AsyncClient(transport=attacker, base_url="http://t") as c:
            codes = [
                (await c.get("/api/v1/regions", headers={"Authorization": f"Bearer bad{i}"})).status_code
                for i in range(5)
            ]
            assert codes == [401, 401, 401, 429, 429]
            limited = await c.get("/api/v1/regions", headers={"Authorization": "Bearer bad"})
            assert limited.headers["content-type"].startswith("application/problem+json")
            assert 1 <= int(limited.headers["retry-after"]) <= 60
        async with httpx.AsyncClient(transport=bystander, base_url="http://t") as c:
            assert (
                await c.get("/api/v1/regions", headers={"Authorization": "Bearer bad"})
            ).status_code == 401
    finally:
        await db.dispose()
