"""A page applied set-based through COPY (PostgreSQL) stores what the record-by-record apply
stores: every value as sent — text with tabs, newlines and backslashes, NULL apart from the
empty string, JSON documents of every shape — the same change-log snapshot, and the version
rule."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text

from app.address.models import Address
from app.assessment.models import Assessment
from app.core.db import Database
from app.core.record import restore, snapshot_values
from app.ledger.actor import Actor
from app.ledger.changelog import ChangeLog
from app.ledger.staging import copy_text
from app.ledger.unit_of_work import UnitOfWork
from app.models import import_all_models
from tests.conftest import make_settings

import_all_models()

NOW = "2026-12-04T08:30:15.123456+00:00"
TRICKY = ["tab\there", "line\nbreak\r\n", "back\\slash \\N", "", "引号 \"q\" 'q'", "\\", "plain"]


def test_copy_text_escapes_what_the_text_format_reads_specially() -> None:
    rows: list[dict[str, Any]] = [
        {"a": "x\ty", "b": None, "c": "", "d": True, "e": 5, "f": {"k": "v\n"}},
        {"a": "back\\slash", "b": 1.5, "c": "\\N", "d": False, "e": -7, "f": "just text"},
    ]
    out = copy_text(["a", "b", "c", "d", "e", "f"], rows, documents={"f"}).decode()
    assert out.split("\n") == [
        "x\\ty\t\\N\t\tt\t5\t" + '{"k":"v\\\\n"}',
        "back\\\\slash\t1.5\t\\\\N\tf\t-7\t" + '"just text"',
        "",
    ]


def _address(record_id: uuid.UUID, version: int, note: str, aliases: Any) -> dict[str, Any]:
    return {
        "id": str(record_id),
        "version": version,
        "origin": "330502000000",
        "region_code": "330502001000",
        "created_at": NOW,
        "updated_at": NOW,
        "updated_by": "clerk\tone",
        "deleted_at": None,
        "address_code": f"C{record_id.hex[:20]}",
        "plate_code": f"P{record_id.hex[:18]}",
        "community": note,
        "village": "",
        "village_group": "",
        "road": "测试路",
        "compound": "",
        "house_number": "1",
        "building": "",
        "unit": "",
        "floor": "",
        "room": "",
        "aliases": aliases,
        "full_name": f"吴兴区{note}",
        "search_text": note,
        "match_key": record_id.hex,
        "status": "active",
        "lon": 120.0861234,
        "lat": None,
    }


@pytest.mark.postgres
async def test_set_based_apply_stores_what_record_by_record_stores(
    require_pg: str, fresh_db: Callable[..., Any]
) -> None:
    settings = make_settings(await fresh_db("postgresql"), node_region="330500")
    db = Database(settings)
    actor = Actor.system("sync:test", "330500000000")
    table = Address.__table__  # type: ignore[attr-defined]
    shapes: list[Any] = [[], ["别名\t一"], [{"a": None, "b": [1, 2.5, True]}], ["\\N"], ["\\"], [""]]
    shapes.append(["x\ny"])
    pairs = [(uuid.uuid4(), uuid.uuid4(), note, shapes[i]) for i, note in enumerate(TRICKY)]
    try:
        async with db.writer() as session, session.begin():
            uow = UnitOfWork(session, actor, node_region="330500000000")
            for one_by_one, _set_based, note, aliases in pairs:
                assert await uow.replicate(Address, restore(Address, _address(one_by_one, 1, note, aliases)))
            snapshots = [_address(b, 1, note, aliases) for _a, b, note, aliases in pairs]
            assert await uow.replicate_snapshots(Address, snapshots) == len(pairs)
        async with db.reader() as session:
            stored = {r.id: dict(r._mapping) for r in (await session.execute(select(table))).all()}
            logged = {
                log.record_id: log.snapshot or {}
                for log in (await session.execute(select(ChangeLog))).scalars().all()
            }
        for one_by_one, set_based, _note, _aliases in pairs:
            a, b = dict(stored[one_by_one]), dict(stored[set_based])
            for key in ("id", "address_code", "plate_code", "match_key"):
                a.pop(key), b.pop(key)
            assert a == b
            expected = snapshot_values(table, stored[set_based])
            assert logged[set_based] == expected
            assert {k: v for k, v in logged[one_by_one].items() if k not in ("id",)} == {
                k: v for k, v in snapshot_values(table, stored[one_by_one]).items() if k not in ("id",)
            }
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_set_based_apply_keeps_the_version_rule(require_pg: str, fresh_db: Callable[..., Any]) -> None:
    settings = make_settings(await fresh_db("postgresql"), node_region="330500")
    db = Database(settings)
    actor = Actor.system("sync:test", "330500000000")
    rid, other = uuid.uuid4(), uuid.uuid4()
    try:
        async with db.writer() as session, session.begin():
            uow = UnitOfWork(session, actor, node_region="330500000000")
            assert await uow.replicate_snapshots(Address, [_address(rid, 2, "second", [])]) == 1
        async with db.writer() as session, session.begin():
            uow = UnitOfWork(session, actor, node_region="330500000000")
            # an older and an equal version change nothing; of two versions in a page the newest wins
            page = [
                _address(rid, 1, "first", []),
                _address(rid, 2, "second again", []),
                _address(other, 1, "other one", []),
                _address(other, 3, "other three", ["a"]),
            ]
            assert await uow.replicate_snapshots(Address, page) == 1
            assert await uow.replicate_snapshots(Assessment, []) == 0
        async with db.reader() as session:
            rows = {r.id: r for r in (await session.execute(select(Address))).scalars().all()}
            logs = (await session.execute(text("SELECT record_id, version FROM change_log"))).all()
        assert (rows[rid].version, rows[rid].community) == (2, "second")
        assert (rows[other].version, rows[other].community, rows[other].aliases) == (3, "other three", ["a"])
        assert sorted((r.record_id, r.version) for r in logs) == sorted([(rid, 2), (other, 3)])
    finally:
        await db.dispose()
