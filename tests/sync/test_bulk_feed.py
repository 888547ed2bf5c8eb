"""Records created in bulk are logged without a snapshot; the feed serves each with its row as
long as the row still has the logged version, and otherwise leaves the change out while the
cursor moves past it."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import delete, null, select, text, update
from sqlmodel import col

from app.address.models import Address
from app.ledger.changelog import ChangeLog
from app.sync.schemas import FeedPage
from tests.address.helpers import BASE, create, unique_road
from tests.sync.cluster import wait_for_horizon
from tests.sync.nodes import Node, make_node

HEADER = "区划代码,社区,街路巷,门牌号,小区,幢,单元,层,室,别名,经度,纬度\n"
COUNTY = "330502"


def _csv(lines: list[str]) -> bytes:
    return ("\ufeff" + HEADER + "".join(line + "\n" for line in lines)).encode()


def _instants(record: dict[str, Any]) -> dict[str, Any]:
    """Timestamps as instants: PostgreSQL writes ``.81448`` where Python writes ``.814480``."""
    return {
        k: datetime.fromisoformat(v) if k.endswith("_at") and isinstance(v, str) else v
        for k, v in record.items()
    }


async def _import(node: Node, road: str, count: int) -> dict[str, Any]:
    lines = [f"330502001000,,{road},{n},,,,,,,120.1,30.8" for n in range(1, count + 1)]
    files = {"file": ("addresses.csv", _csv(lines), "text/csv")}
    async with node.client() as c:
        r = await c.post(f"{BASE}/import", files=files, headers=node.token("operator"))
    assert r.status_code == 200, r.text
    report: dict[str, Any] = r.json()
    assert report["inserted"] == count, report
    return report


async def _addresses(node: Node, road: str) -> list[dict[str, Any]]:
    async with node.client() as c:
        r = await c.get(BASE, params={"road": road, "limit": 100}, headers=node.token("operator"))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def _read_feed(node: Node, cursor: str | None, limit: int) -> tuple[list[str], list[FeedPage], str]:
    """Every page of the address feed from ``cursor`` on: the raw bodies, the pages and the
    last cursor."""
    await wait_for_horizon(node.settings.database_url)
    bodies: list[str] = []
    pages: list[FeedPage] = []
    async with node.client() as c:
        for _ in range(1000):
            params: dict[str, Any] = {"limit": limit, "entities": "address"}
            if cursor:
                params["cursor"] = cursor
            r = await c.get("/api/v1/sync/changes", params=params, headers=node.token("sync", region=COUNTY))
            assert r.status_code == 200, r.text
            bodies.append(r.text)
            page = FeedPage.model_validate_json(r.content)
            pages.append(page)
            assert cursor is None or page.next_cursor != cursor or not page.has_more
            cursor = page.next_cursor
            if not page.has_more:
                return bodies, pages, cursor
    raise AssertionError("the feed never ended")


def _changes(pages: list[FeedPage], ids: set[str]) -> list[tuple[str, int, dict[str, Any]]]:
    return [(str(c.id), c.version, c.data) for p in pages for c in p.changes if str(c.id) in ids]


@pytest.fixture
async def county(fresh_db: Callable[..., Any]) -> AsyncIterator[Node]:
    node = await make_node(await fresh_db(), COUNTY)
    yield node
    await node.db.dispose()


async def test_a_change_without_a_snapshot_is_served_from_its_row_until_the_row_moves_on(
    county: Node,
) -> None:
    """On either engine: a change-log row whose snapshot is empty is served with the record's
    row while it has the logged version; after a later change only that one is served, and
    the cursor moves past both, one row per page or many."""
    road = unique_road()
    op = county.token("operator")
    async with county.client() as c:
        kept = await create(c, op, {"region_code": "330502001000", "road": road, "house_number": "1"})
        moved = await create(c, op, {"region_code": "330502001000", "road": road, "house_number": "2"})
    async with county.db.writer() as session, session.begin():
        logged = (
            await session.execute(
                select(col(ChangeLog.record_id), col(ChangeLog.snapshot)).where(
                    col(ChangeLog.entity) == "address"
                )
            )
        ).all()
        before = {str(record_id): snap for record_id, snap in logged}
        await session.execute(
            update(ChangeLog).where(col(ChangeLog.entity) == "address").values(snapshot=null())
        )
    ids = {kept["id"], moved["id"]}

    _bodies, pages, _cursor = await _read_feed(county, None, 500)
    served = _changes(pages, ids)
    assert sorted((i, v) for i, v, _d in served) == sorted((i, 1) for i in ids)
    for record_id, _version, data in served:
        assert _instants(data) == _instants(before[record_id])

    _bodies, pages, head = await _read_feed(county, None, 1)
    assert sorted((i, v) for i, v, _d in _changes(pages, ids)) == sorted((i, 1) for i in ids)

    async with county.client() as c:
        r = await c.patch(f"{BASE}/{moved['id']}", json={"room": "301"}, headers={**op, "If-Match": '"1"'})
        assert r.status_code == 200, r.text
        assert r.json()["version"] == 2
    for limit in (1, 2, 500):
        _bodies, pages, cursor = await _read_feed(county, None, limit)
        served = _changes(pages, ids)
        assert sorted((i, v) for i, v, _d in served) == sorted([(kept["id"], 1), (moved["id"], 2)])
        assert next(d for i, _v, d in served if i == moved["id"])["room"] == "301"
        assert sum(len(p.changes) for p in pages) == len(served)  # nothing else on this node
        _bodies, again, _cursor = await _read_feed(county, cursor, limit)
        assert [c for p in again for c in p.changes] == []
    # from the cursor before the change, only the change
    _bodies, pages, _cursor = await _read_feed(county, head, 1)
    assert [(i, v) for i, v, _d in _changes(pages, ids)] == [(moved["id"], 2)]

    async with county.db.writer() as session, session.begin():
        await session.execute(delete(Address).where(col(Address.id) == uuid.UUID(kept["id"])))
    _bodies, pages, _cursor = await _read_feed(county, None, 1)
    assert [(i, v) for i, v, _d in _changes(pages, ids)] == [(moved["id"], 2)]


@pytest.fixture
async def pair(require_pg: str, fresh_db: Callable[..., Any]) -> AsyncIterator[tuple[Node, Node]]:
    county = await make_node(await fresh_db("postgresql"), COUNTY)
    city = await make_node(await fresh_db("postgresql"), "330500", peers=[("wuxing", county, "child")])
    yield county, city
    await county.db.dispose()
    await city.db.dispose()


async def _rows_as_json(node: Node) -> dict[str, str]:
    """Every address as ``to_jsonb`` text under UTC: what the bulk path wrote as the snapshot."""
    async with node.db.engine.connect() as conn, conn.begin():
        await conn.execute(text("SET LOCAL TimeZone = 'UTC'"))
        rows = await conn.execute(text("SELECT id::text, to_jsonb(a)::text FROM address a"))
        return {str(r[0]): str(r[1]) for r in rows}


@pytest.mark.postgres
async def test_imported_addresses_are_logged_without_snapshots_and_served_from_their_rows(
    pair: tuple[Node, Node],
) -> None:
    county, _city = pair
    road = unique_road()
    await _import(county, road, 5)
    items = {a["id"]: a for a in await _addresses(county, road)}
    assert len(items) == 5
    async with county.db.reader() as session:
        logged = (
            await session.execute(
                select(col(ChangeLog.record_id), col(ChangeLog.version), col(ChangeLog.snapshot)).where(
                    col(ChangeLog.entity) == "address"
                )
            )
        ).all()
    assert sorted((str(i), v, s) for i, v, s in logged) == sorted((i, 1, None) for i in items)
    rows = await _rows_as_json(county)

    bodies, pages, cursor = await _read_feed(county, None, 2)
    served = _changes(pages, set(items))
    assert sorted((i, v) for i, v, _d in served) == sorted((i, 1) for i in items)
    body = "".join(bodies)
    for record_id, _version, data in served:
        # the page carries the row's to_jsonb text as it is, byte for byte
        assert f'"data":{rows[record_id]}' in body
        assert data == json.loads(rows[record_id])
        shown = items[record_id]
        for key in ("id", "version", "region_code", "road", "house_number", "address_code", "plate_code"):
            assert data[key] == shown[key], key
        assert data["origin"] == county.settings.node_region
        assert datetime.fromisoformat(data["updated_at"]) == datetime.fromisoformat(shown["updated_at"])
        assert data["updated_at"].endswith("+00:00")

    # One address changes: its version-1 change is left out, the version-2 one served.
    moved = next(iter(items))
    async with county.client() as c:
        r = await c.patch(
            f"{BASE}/{moved}", json={"room": "301"}, headers={**county.token("operator"), "If-Match": '"1"'}
        )
        assert r.status_code == 200, r.text
    _bodies, again, _cursor = await _read_feed(county, cursor, 2)
    assert [(str(c.id), c.version) for p in again for c in p.changes] == [(moved, 2)]
    _bodies, pages, cursor = await _read_feed(county, None, 2)
    served = _changes(pages, set(items))
    assert sorted((i, v) for i, v, _d in served) == sorted((i, 2 if i == moved else 1) for i in items)
    _bodies, again, _cursor = await _read_feed(county, cursor, 2)
    assert [c for p in again for c in p.changes] == []


@pytest.mark.postgres
async def test_a_parent_pulling_an_import_ends_with_the_origin_s_addresses(pair: tuple[Node, Node]) -> None:
    county, city = pair
    assert (await city.puller("wuxing").pull()).outcome == "ok"  # later pulls follow the feed
    road = unique_road()
    await _import(county, road, 7)
    moved = (await _addresses(county, road))[0]
    async with county.client() as c:
        r = await c.patch(
            f"{BASE}/{moved['id']}",
            json={"aliases": ["别名"]},
            headers={**county.token("operator"), "If-Match": '"1"'},
        )
        assert r.status_code == 200, r.text
    await wait_for_horizon(county.settings.database_url)
    pulled = await city.puller("wuxing").pull()
    assert pulled.outcome == "ok"
    assert pulled.applied == 7

    async with county.db.reader() as session:
        origin = {a.id: a.model_dump() for a in (await session.execute(select(Address))).scalars()}
    async with city.db.reader() as session:
        replica = {a.id: a.model_dump() for a in (await session.execute(select(Address))).scalars()}
    assert set(replica) == set(origin)
    for record_id, values in origin.items():
        assert replica[record_id] == values
    assert replica[uuid.UUID(moved["id"])]["version"] == 2
    assert (await city.puller("wuxing").pull()).applied == 0
