"""Gap-free reads under concurrent writers (PostgreSQL).

Sequence values become visible in commit order, not allocation order, so a reader that keeps
``seq > cursor`` skips a row whose transaction took a lower ``seq`` but committed later. The
feed orders by ``(xid, seq)`` and serves only transactions below the snapshot's xmin; these
tests show the plain read losing a record on a fixed schedule where the feed does not, and the
feed delivering every change exactly once while writers overlap pulls.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import Row, text

from app.address.models import Address
from app.core.migrations import head_revision
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import service as recipients
from app.recipient.schemas import HouseholdCreate
from app.security.principal import Principal
from app.sync import feed
from app.sync.cursor import FeedPosition
from app.sync.puller import Puller, default_entities
from app.sync.repository import SyncRepository
from app.sync.schemas import FeedPage
from tests.recipient.helpers import household
from tests.sync.cluster import wait_for_horizon
from tests.sync.nodes import Node, make_node

pytestmark = pytest.mark.postgres

COUNTY = "330502"
OPERATOR = Principal(sub="writer", roles=("operator",), region=COUNTY)
PARENT = Principal(sub="node-330500", roles=("sync",), region=COUNTY)


@pytest.fixture
async def pair(require_pg: str, fresh_db: Callable[..., Any]) -> AsyncIterator[tuple[Node, Node]]:
    county = await make_node(await fresh_db("postgresql"), COUNTY)
    city = await make_node(await fresh_db("postgresql"), "330500", peers=[("wuxing", county, "child")])
    yield county, city
    await county.db.dispose()
    await city.db.dispose()


class NaiveRepository(SyncRepository):
    """The read the design rules out: ``seq > cursor`` in ``seq`` order, nothing held back."""

    async def changes(
        self, after: FeedPosition, scope: str, entities: Sequence[str], limit: int
    ) -> tuple[list[Row[Any]], FeedPosition | None]:
        rows = (
            await self.session.execute(
                text(
                    "SELECT seq, '0' AS xid, entity, record_id, op, version, region_code, origin, "
                    "changed_at, snapshot::text AS snapshot_text FROM change_log "
                    "WHERE seq > :seq AND region_code LIKE :scope AND entity = ANY(:entities) "
                    "ORDER BY seq LIMIT :limit"
                ),
                {"seq": after.seq, "scope": f"{scope}%", "entities": list(entities), "limit": limit},
            )
        ).all()
        return list(rows), None


async def read_feed(node: Node, cursor: str | None, *, naive: bool = False) -> tuple[list[str], str]:
    """Every page from ``cursor`` on, as the parent would get it; record ids and the new cursor."""
    ids: list[str] = []
    while True:
        async with node.db.reader() as session:
            reader = NaiveRepository if naive else SyncRepository
            with mock.patch.object(feed, "SyncRepository", reader):
                body, _details = await feed.changes(
                    session,
                    PARENT,
                    settings=node.settings,
                    codec=node.app.state.cursor_codec,
                    pii=node.app.state.pii,
                    schema_version=head_revision(),
                    cursor=cursor,
                    limit=3,
                    entities=["recipient_household"],
                )
        page = FeedPage.model_validate_json(body)
        ids += [str(c.id) for c in page.changes]
        cursor = page.next_cursor
        if not page.has_more:
            return ids, cursor


async def test_a_plain_seq_cursor_loses_a_record_the_feed_keeps(pair: tuple[Node, Node]) -> None:
    county, city = pair
    pii = county.app.state.pii
    # Both readers start at the head of the log.
    real_cursor = (await read_feed(county, None))[1]
    naive_cursor = (await read_feed(county, None, naive=True))[1]

    first_done = asyncio.Event()
    release_first = asyncio.Event()
    first_id: list[str] = []

    async def first_writer() -> None:
        # Takes the lower seq after the second writer took its xid, then holds its transaction.
        async with county.db.writer() as session, session.begin():
            uow = UnitOfWork(session, OPERATOR.actor(), node_region=county.settings.node_region)
            created = await recipients.create(uow, OPERATOR, pii, HouseholdCreate.model_validate(household()))
            first_id.append(str(created.id))
            first_done.set()
            await release_first.wait()

    # The second writer writes first (its transaction gets the lower xid); the first one then
    # writes its rows (the lower seq) and stays open while the second writes and commits.
    async with county.db.writer() as second, second.begin():
        uow2 = UnitOfWork(second, OPERATOR.actor(), node_region=county.settings.node_region)
        await uow2.audit("test.hold", resource_type="test")
        task = asyncio.create_task(first_writer())
        await asyncio.wait_for(first_done.wait(), 10)
        created = await recipients.create(uow2, OPERATOR, pii, HouseholdCreate.model_validate(household()))
        second_id = str(created.id)
    # the first writer: written, not committed

    async with county.db.reader() as session:
        seqs = {
            str(r[0]): int(r[1])
            for r in (
                await session.execute(
                    text("SELECT record_id::text, seq FROM change_log WHERE entity = 'recipient_household'")
                )
            ).all()
        }
    # The schedule this test is about: committed first, allocated later.
    assert second_id in seqs
    assert first_id[0] not in seqs  # not visible yet
    naive_ids, naive_cursor = await read_feed(county, naive_cursor, naive=True)
    assert naive_ids == [second_id]
    real_ids: list[str] = []
    for _ in range(100):  # the horizon is server-wide: another database's transaction may hold it
        more, real_cursor = await read_feed(county, real_cursor)
        real_ids += more
        if real_ids:
            break
        await asyncio.sleep(0.05)
    assert real_ids == [second_id]  # below the horizon: the first writer's xid is larger

    release_first.set()
    await asyncio.wait_for(task, 10)
    async with county.db.reader() as session:
        first_seq = (
            await session.execute(
                text("SELECT seq FROM change_log WHERE record_id = CAST(:id AS uuid)"), {"id": first_id[0]}
            )
        ).scalar_one()
    assert first_seq < seqs[second_id]

    await wait_for_horizon(county.settings.database_url)
    naive_more, _ = await read_feed(county, naive_cursor, naive=True)
    real_more, _ = await read_feed(county, real_cursor)
    assert first_id[0] not in naive_more, "the plain seq cursor was expected to skip the record"
    assert real_more == [first_id[0]]

    assert (await city.puller("wuxing").pull()).outcome == "ok"
    async with city.db.reader() as s:
        at_city = set(
            (await s.execute(text("SELECT id::text FROM recipient_household WHERE origin LIKE '330502%'")))
            .scalars()
            .all()
        )
    assert at_city == {first_id[0], second_id}


async def _log_entries(node: Node, entities: list[str]) -> Counter[tuple[str, str, int]]:
    async with node.db.reader() as session:
        rows = (
            await session.execute(
                text("SELECT entity, record_id::text, version FROM change_log WHERE entity = ANY(:e)"),
                {"e": entities},
            )
        ).all()
    return Counter((r[0], r[1], int(r[2])) for r in rows)


async def _digest(node: Node, entities: list[str]) -> list[dict[str, Any]]:
    async with node.db.reader() as session:
        result = await feed.digest(
            session,
            PARENT,
            settings=node.settings,
            schema_version=None,
            entities=entities,
            region_code=COUNTY,
        )
    return [e.model_dump() for e in result.entries]


def _address(rng: random.Random) -> Address:
    key = uuid.uuid4().hex
    return Address(
        region_code="330502001000",
        address_code=f"T{key[:24]}",
        plate_code=key[:10],
        road="测试路",
        house_number=str(rng.randint(1, 999)),
        full_name=f"吴兴区测试路{key[:6]}号",
        search_text=f"吴兴区测试路{key[:6]}号",
        match_key=key,
    )


async def test_overlapping_writers_and_continuous_pulls_converge_exactly_once(
    pair: tuple[Node, Node],
) -> None:
    county, city = pair
    rng = random.Random(20221)
    open_long = 0
    pulls_during_open = 0
    writers_done = asyncio.Event()
    received: list[tuple[str, str, int]] = []

    async def service_writer(n: int) -> None:
        mine: list[tuple[str, int]] = []
        op = county.token("operator")
        async with county.client() as c:
            for i in range(n):
                r = await c.post("/api/v1/recipients", json=household(), headers=op)
                assert r.status_code == 201, r.text
                mine.append((r.json()["id"], 1))
                if i % 3 == 2:
                    hid, version = mine.pop(0)
                    r = await c.delete(
                        f"/api/v1/recipients/{hid}", headers={**op, "If-Match": f'"{version}"'}
                    )
                    assert r.status_code == 204, r.text
                elif i % 3 == 1:
                    hid, version = mine[0]
                    r = await c.patch(
                        f"/api/v1/recipients/{hid}",
                        json={"monthly_income": f"{rng.randint(0, 3000)}.00"},
                        headers={**op, "If-Match": f'"{version}"'},
                    )
                    assert r.status_code == 200, r.text
                    mine[0] = (hid, r.json()["version"])
                await asyncio.sleep(rng.uniform(0, 0.03))

    async def long_writer(n: int) -> None:
        # Rows first, the audit event at the end (as bulk loads do): the transaction stays open
        # across pulls without holding the audit chain's lock.
        nonlocal open_long
        for _ in range(n):
            async with county.db.writer() as session, session.begin():
                uow = UnitOfWork(session, OPERATOR.actor(), node_region=county.settings.node_region)
                for _ in range(3):
                    await uow.create(_address(rng), audit_event=False)
                open_long += 1
                try:
                    await asyncio.sleep(rng.uniform(0.1, 0.4))
                finally:
                    open_long -= 1
                await uow.audit("address.bulk_create", resource_type="address", details={"rows": 3})

    async def puller_loop() -> None:
        nonlocal pulls_during_open
        while True:
            done = writers_done.is_set()
            if open_long:
                pulls_during_open += 1
            await _pull(city, received)
            if done:
                return
            await asyncio.sleep(0.02)

    await _pull(city, received)  # the first pull takes the (empty) snapshot and sets the cursor
    puller = asyncio.create_task(puller_loop())
    try:
        await asyncio.gather(*(service_writer(9) for _ in range(3)), *(long_writer(4) for _ in range(2)))
        await wait_for_horizon(county.settings.database_url)  # quiescence, server-wide
    finally:
        writers_done.set()
    await asyncio.wait_for(puller, 60)

    entities = default_entities(city.settings.sync_peers[0])
    expected = await _log_entries(county, entities)
    got = Counter(received)
    assert sum(expected.values()) > 60
    assert pulls_during_open > 0, "no pull overlapped an open transaction"
    assert got - expected == Counter(), "received a change the county never made (or one twice)"
    assert expected - got == Counter(), "lost a change"
    assert got == expected
    business = ["recipient_household", "recipient_member", "address"]
    assert await _digest(city, business) == await _digest(county, business)


async def _pull(city: Node, received: list[tuple[str, str, int]]) -> None:
    puller: Puller = city.puller("wuxing", sync_page_size=7)
    fetch = puller.client.changes

    async def spy(cursor: str | None, limit: int, entities: list[str]) -> tuple[FeedPage, bytes]:
        page, raw = await fetch(cursor, limit, entities)
        received.extend((c.entity, str(c.id), c.version) for c in page.changes)
        return page, raw

    puller.client.changes = spy  # type: ignore[method-assign]
    try:
        session = await puller.pull()
        assert session.outcome == "ok"
    finally:
        with contextlib.suppress(Exception):
            await puller.client.aclose()
