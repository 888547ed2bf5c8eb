"""The chainer: events appended unchained are linked in order, once; the tail is reported; the
triggers allow the linking and nothing else; tampering with linked events is caught."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core.db import Database
from app.core.types import utcnow
from app.ledger import audit
from app.ledger.actor import Actor
from app.ledger.chain import GENESIS, event_hash
from app.ledger.chainer import Chainer
from app.ledger.repository import AuditRepository
from tests.conftest import make_settings

ACTOR = Actor(sub="op", roles=("operator",), region="330502")


@pytest.fixture
async def db(fresh_db: Any) -> AsyncIterator[Database]:
    database = Database(make_settings(await fresh_db()))
    yield database
    await database.dispose()


def _event(action: str) -> dict[str, Any]:
    return {
        "occurred_at": utcnow(),
        "actor_sub": "op",
        "actor_roles": "operator",
        "actor_region": "330502",
        "action": action,
        "region_code": "330502",
        "details": {"n": action},
    }


async def _append_unchained(db: Database, actions: list[str]) -> None:
    """Events as a PostgreSQL request appends them (SQLite's append links at once)."""
    async with db.writer() as session, session.begin():
        for action in actions:
            await AuditRepository(session).insert(_event(action))


async def _rows(db: Database) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        result = await conn.execute(
            text("SELECT seq, chain_pos, action, prev_hash, hash FROM audit_log ORDER BY seq")
        )
        return [dict(r._mapping) for r in result]


async def _verify(db: Database) -> audit.ChainReport:
    async with db.reader() as session:
        return await audit.verify(session)


async def _disable_guard(db: Database) -> None:
    async with db.engine.begin() as conn:
        for name in ("audit_log_no_update", "audit_log_no_delete"):
            if db.is_postgres:
                await conn.execute(text(f"ALTER TABLE audit_log DISABLE TRIGGER {name}"))
            else:
                await conn.execute(text(f"DROP TRIGGER {name}"))


async def test_tail_is_reported_then_linked_in_append_order(db: Database) -> None:
    await _append_unchained(db, ["a", "b", "c"])
    report = await _verify(db)
    assert (report.ok, report.checked, report.head, report.pending) == (True, 0, None, 3)
    assert report.pending_since is not None

    assert await audit.link_all(db.writer, limit=2) == 3
    report = await _verify(db)
    assert (report.ok, report.checked, report.pending, report.pending_since) == (True, 3, 0, None)
    rows = await _rows(db)
    assert [(r["action"], r["chain_pos"]) for r in rows] == [("a", 1), ("b", 2), ("c", 3)]
    assert rows[0]["prev_hash"] == GENESIS
    assert [r["prev_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    assert report.head == rows[-1]["hash"]
    assert await audit.link_all(db.writer) == 0


async def test_append_links_on_sqlite_and_leaves_the_tail_on_postgres(db: Database) -> None:
    async with db.writer() as session, session.begin():
        await audit.append(session, ACTOR, "x.create", resource_type="x", details={"version": 1})
    report = await _verify(db)
    assert report.ok
    assert (report.checked, report.pending) == ((0, 1) if db.is_postgres else (1, 0))


async def test_guard_allows_linking_once_and_nothing_else(db: Database) -> None:
    await _append_unchained(db, ["a"])
    seq = (await _rows(db))[0]["seq"]
    refused = [
        "UPDATE audit_log SET action = 'forged' WHERE seq = :seq",
        # linking that also changes the event
        "UPDATE audit_log SET chain_pos = 1, prev_hash = 'p', hash = 'h', actor_sub = 'm' WHERE seq = :seq",
        # half a link
        "UPDATE audit_log SET hash = 'h' WHERE seq = :seq",
        "DELETE FROM audit_log WHERE seq = :seq",
    ]
    for statement in refused:
        async with db.engine.connect() as conn:
            with pytest.raises(DBAPIError):
                await conn.execute(text(statement), {"seq": seq})
            await conn.rollback()
    assert await audit.link_all(db.writer) == 1
    for statement in (
        "UPDATE audit_log SET chain_pos = 7, prev_hash = 'p', hash = 'h' WHERE seq = :seq",
        "UPDATE audit_log SET action = 'forged' WHERE seq = :seq",
        "DELETE FROM audit_log WHERE seq = :seq",
    ):
        async with db.engine.connect() as conn:
            with pytest.raises(DBAPIError):
                await conn.execute(text(statement), {"seq": seq})
            await conn.rollback()
    assert (await _verify(db)).ok


@pytest.mark.parametrize("tamper", ["edit", "swap", "delete", "unlink"])
async def test_tampering_with_linked_events_is_caught(db: Database, tamper: str) -> None:
    await _append_unchained(db, [f"e{i}" for i in range(6)])
    await audit.link_all(db.writer)
    rows = await _rows(db)
    await _disable_guard(db)
    third, fourth = rows[2]["seq"], rows[3]["seq"]
    statements = {
        "edit": ['UPDATE audit_log SET details = \'{"n": "x"}\' WHERE seq = :a'],
        "swap": [
            "UPDATE audit_log SET chain_pos = -1 WHERE seq = :a",
            "UPDATE audit_log SET chain_pos = 3 WHERE seq = :b",
            "UPDATE audit_log SET chain_pos = 4 WHERE seq = :a",
        ],
        "delete": ["DELETE FROM audit_log WHERE seq = :a"],
        # taken out of the chain to be linked again at its end
        "unlink": ["UPDATE audit_log SET chain_pos = NULL, prev_hash = NULL, hash = NULL WHERE seq = :a"],
    }[tamper]
    async with db.engine.begin() as conn:
        for statement in statements:
            params = {"a": third, "b": fourth} if ":b" in statement else {"a": third}
            await conn.execute(text(statement), params)
    if tamper == "unlink":
        await audit.link_all(db.writer)
    report = await _verify(db)
    assert report.ok is False
    assert report.checked == 2
    # the edited event no longer hashes to its hash; otherwise the event after the gap (or now
    # in third place) does not follow the second
    assert report.first_bad_seq == (third if tamper == "edit" else fourth)


async def test_recomputed_hash_covers_the_link(db: Database) -> None:
    await _append_unchained(db, ["a", "b"])
    await audit.link_all(db.writer)
    async with db.reader() as session:
        rows = [row for batch in [b async for b in AuditRepository(session).stream()] for row in batch]
    for row in rows:
        assert event_hash(row.model_dump()) == row.hash
        assert event_hash({**row.model_dump(), "prev_hash": "1" * 64}) != row.hash


@pytest.mark.postgres
async def test_later_commit_of_an_earlier_append_is_linked_after(db: Database) -> None:
    """A transaction that appended first but commits last is linked last: the chain follows
    what was committed when it was linked, never skipping nor waiting for an open transaction."""
    async with db.writer() as slow, slow.begin():
        await AuditRepository(slow).insert(_event("slow"))
        await _append_unchained(db, ["fast"])
        assert await audit.link_all(db.writer) == 1
    assert await audit.link_all(db.writer) == 1
    rows = await _rows(db)
    by_action = {r["action"]: r for r in rows}
    assert by_action["slow"]["seq"] < by_action["fast"]["seq"]
    assert (by_action["fast"]["chain_pos"], by_action["slow"]["chain_pos"]) == (1, 2)
    report = await _verify(db)
    assert (report.ok, report.checked, report.pending) == (True, 2, 0)


@pytest.mark.postgres
async def test_concurrent_appends_and_chainers(db: Database) -> None:
    chainers = [Chainer(db.writer, interval_s=0.01, batch=7) for _ in range(3)]
    for chainer in chainers:
        chainer.start()

    async def writer(k: int) -> None:
        for i in range(10):
            async with db.writer() as session, session.begin():
                await audit.append(session, ACTOR, f"w{k}.{i}", details={"i": i})
                await asyncio.sleep(0)

    try:
        await asyncio.gather(*(writer(k) for k in range(12)))
    finally:
        for chainer in chainers:
            await chainer.stop()
    rows = await _rows(db)
    assert len(rows) == 120
    assert sorted(r["chain_pos"] for r in rows) == list(range(1, 121))
    report = await _verify(db)
    assert (report.ok, report.checked, report.pending) == (True, 120, 0)


@pytest.mark.postgres
async def test_chainer_skips_its_turn_while_another_links(db: Database) -> None:
    await _append_unchained(db, ["a"])
    chainer = Chainer(db.writer)
    async with db.writer() as session, session.begin():
        assert await AuditRepository(session).lock_chain(wait=False)
        assert await chainer.turn() == 0
    assert await chainer.turn() == 1
