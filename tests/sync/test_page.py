"""The feed page written straight to JSON text (``app.sync.page``) carries the same changes as
the model-based encoding it replaced: every change's envelope and snapshot, personal fields
in clear, and the same counts for the personal-data transfer's audit event."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from app.core.record import ENTITIES
from app.ledger.changelog import ChangeLog
from app.security.pii import PiiCipher
from app.sync.cursor import START
from app.sync.feed import personal_counts, reveal_snapshot
from app.sync.page import encode_change, encode_page
from app.sync.repository import SyncRepository
from app.sync.schemas import Change, FeedPage, NodeInfo
from tests.assessment.helpers import body as assessment_body
from tests.factories import id_number
from tests.recipient.helpers import household
from tests.sync.cluster import wait_for_horizon
from tests.sync.nodes import Node, make_node


@pytest.fixture
async def county(fresh_db: Callable[..., Any]) -> AsyncIterator[Node]:
    node = await make_node(await fresh_db(), "330502")
    yield node
    await node.db.dispose()


async def _write(node: Node) -> None:
    op = node.token("operator")
    people = [
        {"name": "沈建国", "id_number": id_number("330502"), "relation": "head", "phone": "13812345678"},
        {"name": '王 "引号" \\ 反斜杠', "id_number": id_number("330502"), "relation": "spouse"},
    ]
    async with node.client() as c:
        created = await c.post("/api/v1/recipients", json=household(members=people), headers=op)
        assert created.status_code == 201, created.text
        gone = (await c.post("/api/v1/recipients", json=household(), headers=op)).json()
        deleted = await c.delete(f"/api/v1/recipients/{gone['id']}", headers={**op, "If-Match": '"1"'})
        assert deleted.status_code == 204
        assessed = await c.post("/api/v1/assessments", json=assessment_body(), headers=op)
        assert assessed.status_code == 201, assessed.text
    await wait_for_horizon(node.settings.database_url)  # the feed serves what every older transaction follows


def _reference(log: ChangeLog, pii: PiiCipher) -> Change:
    """A change as the model-based encoding built it from the decoded snapshot."""
    assert log.snapshot is not None  # one by one, every change is logged with its snapshot
    return Change(
        seq=int(log.seq or 0),
        entity=log.entity,
        id=log.record_id,
        op=log.op,
        version=log.version,
        region_code=log.region_code,
        origin=log.origin,
        changed_at=log.changed_at,
        data=reveal_snapshot(ENTITIES[log.entity], log.snapshot, pii),
    )


async def test_changes_written_as_text_parse_as_the_model_encoding(county: Node) -> None:
    await _write(county)
    pii = PiiCipher.from_settings(county.settings)
    entities = sorted(ENTITIES)
    async with county.db.reader() as session:
        rows, _horizon = await SyncRepository(session).changes(START, "330502", entities, 1000)
        logs = {
            log.seq: log
            for log in (await session.execute(select(ChangeLog))).scalars().all()
            if log.region_code.startswith("330502")
        }
    assert len(rows) >= 8
    assert {r.entity for r in rows} >= {"recipient_household", "recipient_member", "assessment"}
    assert any(r.op == "delete" for r in rows)
    encoded = [encode_change(r, pii) for r in rows]
    node = NodeInfo(region="330502000000", name="wuxing", epoch="e1", schema_version="s1")
    body = encode_page([t for t, _d in encoded], next_cursor="c1", has_more=True, node=node, audit_head="h1")

    page = FeedPage.model_validate_json(body)
    expected = [_reference(logs[r.seq], pii) for r in rows]
    assert page.changes == expected
    assert (page.next_cursor, page.has_more, page.node, page.audit_head) == ("c1", True, node, "h1")
    assert json.loads(body)["changes"][0].keys() == expected[0].model_dump().keys()
    members = [c for c in page.changes if c.entity == "recipient_member"]
    assert any(c.data["name"] == '王 "引号" \\ 反斜杠' for c in members)
    assert all(not str(c.data["id_number_enc"]).startswith("k:") for c in members)

    # Counts for the transfer's audit event: the same as from the fully decoded page.
    counted = personal_counts(
        [(r.entity, d) for r, (_t, d) in zip(rows, encoded, strict=True) if d is not None]
    )
    assert counted == personal_counts([(c.entity, c.data) for c in expected])
    assert counted["recipient_member"]["fields"]["phone_enc"] >= 1


async def test_the_feed_endpoint_serves_the_same_changes(county: Node) -> None:
    await _write(county)
    pii = PiiCipher.from_settings(county.settings)
    async with county.client() as c:
        r = await c.get(
            "/api/v1/sync/changes",
            params={"limit": 3},
            headers=county.token("sync", region="330500", sub="node-330500"),
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
    page = FeedPage.model_validate_json(r.content)
    assert len(page.changes) == 3
    assert page.has_more
    async with county.db.reader() as session:
        logs = {log.seq: log for log in (await session.execute(select(ChangeLog))).scalars().all()}
    assert page.changes == [_reference(logs[c.seq], pii) for c in page.changes]
