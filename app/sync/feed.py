"""Serving the change feed, snapshots, digests and chain proofs to other nodes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import Settings
from app.core.errors import BadRequest, Gone, Unprocessable
from app.core.pagination import CursorCodec
from app.core.record import ENTITIES, EntitySpec, snapshot_values
from app.ledger import audit
from app.ledger.chain import GENESIS
from app.ledger.models import AuditEvent
from app.security.pii import PiiCipher
from app.security.principal import Principal
from app.sync.cursor import START, FeedCursor, FeedPosition
from app.sync.digest import DigestSet
from app.sync.page import LogRow, encode_change, encode_page
from app.sync.repository import SyncRepository
from app.sync.schemas import ChainProof, DigestEntry, DigestRead, NodeInfo, SnapshotPage

MAX_PAGE = 5000


def entity_names(requested: str | None) -> list[str]:
    """Entities named in a comma-separated list (all when empty); 422 for unknown names."""
    if not requested:
        return sorted(ENTITIES)
    names = [n.strip() for n in requested.split(",") if n.strip()]
    unknown = [n for n in names if n not in ENTITIES]
    if unknown:
        raise Unprocessable.at(("query", "entities"), f"unknown entities: {', '.join(unknown)}")
    return names


async def epoch(session: AsyncSession) -> str:
    """Changes when the database is replaced by a restored copy (see ``sync new-epoch``)."""
    repo = SyncRepository(session)
    salt = await repo.state("epoch_salt") or ""
    identity = await repo.database_identity()
    return hashlib.sha256(f"{salt}|{identity}".encode()).hexdigest()[:16]


async def node_info(session: AsyncSession, settings: Settings, schema_version: str | None) -> NodeInfo:
    return NodeInfo(
        region=settings.node_region,
        name=settings.node_label,
        epoch=await epoch(session),
        schema_version=schema_version,
    )


def reveal_snapshot(spec: EntitySpec, data: dict[str, Any], pii: PiiCipher) -> dict[str, Any]:
    """Personal fields in clear for the authenticated channel; the receiver re-encrypts them
    under its own key."""
    if not spec.pii_fields:
        return data
    out = dict(data)
    for column in spec.pii_fields:
        token = out.get(column)
        if isinstance(token, str) and token:
            out[column] = pii.decrypt(spec.pii_kind(column), token)
    return out


def personal_counts(records: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per entity, how many records of a page carry personal data in clear and how many values
    of each personal field: decrypted ciphertexts (ID and phone numbers) and plain personal
    fields (names, birth dates). Counts only, never values."""
    out: dict[str, dict[str, Any]] = {}
    for entity, data in records:
        spec = ENTITIES.get(entity)
        if spec is None:
            continue
        fields = [c for c in (*spec.pii_fields, *spec.personal_fields) if data.get(c) not in (None, "")]
        if not fields:
            continue
        entry = out.setdefault(entity, {"records": 0, "fields": {}})
        entry["records"] += 1
        for name in fields:
            entry["fields"][name] = entry["fields"].get(name, 0) + 1
    return out


async def _position(
    session: AsyncSession, codec: CursorCodec, cursor: str | None
) -> tuple[str, FeedPosition]:
    current = await epoch(session)
    if not cursor:
        return current, START
    parsed = FeedCursor.decode(codec, cursor)
    if parsed.epoch != current:
        raise Gone(
            "the cursor is from another epoch of this node's database; start a full resync",
            extra={"epoch": current},
        )
    repo = SyncRepository(session)
    pruned = await repo.state("pruned_through")
    if pruned:
        xid, seq = (int(v) for v in pruned.split(":"))
        if parsed.position < FeedPosition(xid, seq):
            raise Gone(
                "the cursor is older than the change log keeps; start a full resync", extra={"epoch": current}
            )
    head = await repo.head()
    ahead = parsed.position.xid > head.xid if repo.is_postgres else parsed.position.seq > head.seq
    if ahead:
        raise Gone(
            "the cursor is ahead of this node's change log (restored from a backup?); start a full resync",
            extra={"epoch": current},
        )
    return current, parsed.position


@dataclass(slots=True)
class _FromRecord:
    """A change logged without a snapshot, served with its record's row as the data."""

    seq: int
    entity: str
    record_id: Any
    op: str
    version: int
    region_code: str
    origin: str
    changed_at: datetime
    snapshot_text: str


async def _served(repo: SyncRepository, rows: Sequence[Any]) -> list[LogRow]:
    """The page's changes as they are served.

    A change logged without a snapshot (a record created in bulk, see
    :meth:`~app.ledger.unit_of_work.UnitOfWork.bulk_create`) takes its record's row, read now,
    if the row still has the change's version; one query per entity, for the page's rows only,
    so a page without such changes costs nothing more. When the record has moved on, the change
    is left out: every later version has a change-log row of its own, with a snapshot, which
    the reader receives instead (or received already). A record that is gone is left out too.
    The caller moves the cursor past left-out changes like past any other."""
    wanted: dict[str, list[tuple[uuid.UUID, int]]] = {}
    for row in rows:
        if row.snapshot_text is None and row.entity in ENTITIES:
            wanted.setdefault(row.entity, []).append((row.record_id, int(row.version)))
    if not wanted:
        return list(rows)
    current: dict[str, dict[tuple[str, int], str]] = {}
    for entity, keys in wanted.items():
        table = ENTITIES[entity].model.__table__  # type: ignore[attr-defined]
        current[entity] = await repo.rows_at(table, keys)
    served: list[LogRow] = []
    for row in rows:
        if row.snapshot_text is not None:
            served.append(row)
            continue
        data = current.get(row.entity, {}).get((str(row.record_id), int(row.version)))
        if data is not None:
            served.append(
                _FromRecord(
                    seq=row.seq,
                    entity=row.entity,
                    record_id=row.record_id,
                    op=row.op,
                    version=row.version,
                    region_code=row.region_code,
                    origin=row.origin,
                    changed_at=row.changed_at,
                    snapshot_text=data,
                )
            )
    return served


async def changes(
    session: AsyncSession,
    principal: Principal,
    *,
    settings: Settings,
    codec: CursorCodec,
    pii: PiiCipher,
    schema_version: str | None,
    cursor: str | None,
    limit: int,
    entities: Sequence[str],
) -> tuple[bytes, dict[str, Any]]:
    """One feed page as JSON bytes, and what to record about it.

    The cursor moves past every change-log row the page read, served or left out (see
    :func:`_served`): ``has_more`` and the next cursor are decided on the rows read."""
    current, after = await _position(session, codec, cursor)
    repo = SyncRepository(session)
    rows, horizon = await repo.changes(after, principal.region, entities, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = FeedPosition(int(rows[-1].xid or 0), rows[-1].seq) if rows else after
    if not has_more and horizon is not None:
        # Every matching row below the horizon has been served: move past filtered-out rows.
        last = max(last, horizon)
    served = await _served(repo, rows)
    encoded = [encode_change(r, pii) for r in served]
    body = encode_page(
        [text for text, _data in encoded],
        next_cursor=FeedCursor(current, last).encode(codec),
        has_more=has_more,
        node=NodeInfo(
            region=settings.node_region,
            name=settings.node_label,
            epoch=current,
            schema_version=schema_version,
        ),
        audit_head=await audit.head(session),
    )
    details = {
        "cursor_from": f"{after.xid}:{after.seq}",
        "cursor_to": f"{last.xid}:{last.seq}",
        "count": len(served),
        "sha256": hashlib.sha256(body).hexdigest(),
        "personal": personal_counts(
            [(r.entity, data) for r, (_text, data) in zip(served, encoded, strict=True) if data is not None]
        ),
    }
    return body, details


def _snapshot_cursor(codec: CursorCodec, entity: str, after: uuid.UUID, feed_cursor: str) -> str:
    return codec.encode(["snap", entity, str(after), feed_cursor])


async def snapshot(
    session: AsyncSession,
    principal: Principal,
    *,
    settings: Settings,
    codec: CursorCodec,
    pii: PiiCipher,
    schema_version: str | None,
    entity: str,
    cursor: str | None,
    limit: int,
) -> SnapshotPage:
    spec = ENTITIES.get(entity)
    if spec is None:
        raise Unprocessable.at(("query", "entity"), f"unknown entity {entity}")
    after: uuid.UUID | None = None
    if cursor:
        values = codec.decode(cursor)
        if len(values) != 4 or values[0] != "snap" or values[1] != entity:
            raise BadRequest("unknown cursor; start again without one")
        after, feed_cursor = uuid.UUID(str(values[2])), str(values[3])
    else:
        repo = SyncRepository(session)
        feed_cursor = FeedCursor(await epoch(session), await repo.head()).encode(codec)
    table = spec.model.__table__  # type: ignore[attr-defined]
    rows = await SyncRepository(session).snapshot_page(table, principal.region, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    records = [reveal_snapshot(spec, snapshot_values(table, dict(r._mapping)), pii) for r in rows]
    next_cursor = _snapshot_cursor(codec, entity, rows[-1].id, feed_cursor) if more and rows else None
    return SnapshotPage(
        entity=entity,
        records=records,
        next_cursor=next_cursor,
        feed_cursor=feed_cursor,
        node=await node_info(session, settings, schema_version),
    )


async def digest(
    session: AsyncSession,
    principal: Principal,
    *,
    settings: Settings,
    schema_version: str | None,
    entities: Sequence[str],
    region_code: str | None,
) -> DigestRead:
    scope = region_code if region_code and principal.covers(region_code) else principal.region
    digests = DigestSet()
    repo = SyncRepository(session)
    for name in entities:
        table = ENTITIES[name].model.__table__  # type: ignore[attr-defined]
        async for rows in repo.versions(table, scope):
            digests.add_rows(name, [(r[0], r[1], r[2]) for r in rows])
    return DigestRead(
        node=await node_info(session, settings, schema_version),
        entries=[DigestEntry.model_validate(e) for e in digests.as_list()],
    )


async def chain_proof(session: AsyncSession, witness: str | None) -> ChainProof:
    report = await audit.verify(session)
    witness_seq = None
    if witness == GENESIS:
        witness_seq = 0  # the head of a chain with nothing linked yet: where every chain starts
    elif witness:
        witness_seq = (
            await session.execute(select(col(AuditEvent.seq)).where(col(AuditEvent.hash) == witness))
        ).scalar_one_or_none()
    return ChainProof(
        chain_ok=report.ok, checked=report.checked, head=report.head, witness=witness, witness_seq=witness_seq
    )
