"""The audit chain: verifies after a mixed workload, refuses edits, pinpoints tampering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core.db import Database
from app.ledger.chain import GENESIS, event_hash
from app.main import create_app
from app.reference import load_reference
from app.security.tokens import mint
from tests.conftest import make_settings
from tests.recipient.helpers import create, household, move


def test_hash_covers_every_field() -> None:
    event = {
        "seq": 1,
        "occurred_at": None,
        "actor_sub": "a",
        "action": "x",
        "details": {"f": 1},
        "prev_hash": GENESIS,
    }
    base = event_hash(event)
    assert event_hash({**event, "details": {"f": 2}}) != base
    assert event_hash({**event, "actor_sub": "b"}) != base
    assert event_hash({**event, "prev_hash": "1" * 64}) != base
    assert event_hash(dict(reversed(list(event.items())))) == base


async def test_verify_after_workload_and_after_tampering(fresh_db: Callable[..., Any]) -> None:
    settings = make_settings(await fresh_db())
    db = Database(settings)
    await load_reference(db, settings)
    app = create_app(settings, database=db)
    op = {"Authorization": "Bearer " + mint(settings, sub="op", roles=["operator"], region="330502")}
    auditor = {"Authorization": "Bearer " + mint(settings, sub="au", roles=["auditor"], region="330000")}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            for _ in range(3):
                hh = await create(c, op, household())
                await move(c, op, hh["id"], "verify", "approve")
                await c.patch(
                    f"/api/v1/recipients/{hh['id']}",
                    json={"monthly_income": "1.00"},
                    headers={**op, "If-Match": '"3"'},
                )
                await c.get(f"/api/v1/recipients/{hh['id']}", params={"reveal": "true"}, headers=op)
            await c.get("/api/v1/regions", headers={"Authorization": "Bearer broken"})
            report = (await c.get("/api/v1/audit/verify", headers=auditor)).json()
            assert report["ok"] is True
            assert report["checked"] > 15
            assert report["first_bad_seq"] is None

            async with db.engine.connect() as conn:
                with pytest.raises(DBAPIError):
                    await conn.execute(text("UPDATE audit_log SET action = 'forged' WHERE seq = 5"))
                await conn.rollback()
                with pytest.raises(DBAPIError):
                    await conn.execute(text("DELETE FROM audit_log WHERE seq = 5"))
                await conn.rollback()

            async with db.engine.begin() as conn:
                if db.is_postgres:
                    await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
                else:
                    await conn.execute(text("DROP TRIGGER audit_log_no_update"))
                await conn.execute(text("UPDATE audit_log SET actor_sub = 'mallory' WHERE seq = 7"))
            report = (await c.get("/api/v1/audit/verify", headers=auditor)).json()
            assert report["ok"] is False
            assert report["first_bad_seq"] == 7
            assert report["checked"] == 6
    finally:
        await db.dispose()
