"""Every query of the sync package."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Row, Table, Text, and_, cast, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import dialect_of
from app.core.record import snapshot_values
from app.core.types import utcnow
from app.ledger.changelog import ChangeLog
from app.security.scope import scope_pattern
from app.sync.cursor import FeedPosition
from app.sync.models import NodeState, PeerState, SyncSession

_LOG: Table = ChangeLog.__table__  # type: ignore[attr-defined]

# One statement on PostgreSQL: rows after the cursor, in (xid, seq) order, from transactions
# that have all ended (xid below the oldest one still running), plus that horizon itself.
_PG_FEED = text(
    """
    WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
    SELECT c.seq, c.xid::text AS xid, c.entity, c.record_id, c.op, c.version, c.region_code,
           c.origin, c.changed_at, c.snapshot::text AS snapshot_text, h.xmin::text AS horizon
    FROM horizon h
    LEFT JOIN LATERAL (
        SELECT * FROM change_log
        WHERE (xid, seq) > (CAST(:xid AS text)::xid8, :seq)
          AND xid < h.xmin
          AND region_code LIKE :scope
          AND entity = ANY(:entities)
        ORDER BY xid, seq
        LIMIT :limit
    ) c ON true
    """
)


# The rows of one table that still have the given (id, version), each as ``to_jsonb`` text (the
# change log's snapshot form; the caller sets the zone to UTC first). The table name comes from
# the model, never from input.
_PG_ROWS_AT = """
    SELECT t.id::text AS id, t.version, to_jsonb(t)::text AS data
    FROM "{table}" t
    JOIN unnest(CAST(:ids AS uuid[]), CAST(:versions AS int[])) AS k(id, version)
      ON t.id = k.id AND t.version = k.version
"""


class SyncRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def is_postgres(self) -> bool:
        return dialect_of(self.session) == "postgresql"

    # node state

    async def state(self, key: str) -> str | None:
        found = await self.session.get(NodeState, key)
        return found.value if found else None

    async def set_state(self, key: str, value: str) -> None:
        found = await self.session.get(NodeState, key)
        if found is None:
            self.session.add(NodeState(key=key, value=value))
        else:
            found.value = value
        await self.session.flush()

    async def database_identity(self) -> str:
        """What changes when this database is replaced by a restored copy (PostgreSQL)."""
        if not self.is_postgres:
            return ""
        row = (
            await self.session.execute(
                text(
                    "SELECT (SELECT system_identifier FROM pg_control_system())::text, "
                    "(SELECT timeline_id FROM pg_control_checkpoint())::text, "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())::text"
                )
            )
        ).one()
        return ":".join(str(v) for v in row)

    # the feed

    async def changes(
        self, after: FeedPosition, scope: str, entities: Sequence[str], limit: int
    ) -> tuple[list[Row[Any]], FeedPosition | None]:
        """Up to ``limit`` rows after ``after``, each snapshot as JSON text (``snapshot_text``,
        passed on without decoding; None for a change logged without one, see :meth:`rows_at`);
        with the horizon below which the log is final
        (PostgreSQL), so a cursor can move past rows filtered out."""
        if self.is_postgres:
            rows = (
                await self.session.execute(
                    _PG_FEED,
                    {
                        "xid": str(after.xid),
                        "seq": after.seq,
                        "scope": scope_pattern(scope),
                        "entities": list(entities),
                        "limit": limit,
                    },
                )
            ).all()
            horizon = FeedPosition(int(rows[0].horizon), 0) if rows else None
            return [r for r in rows if r.seq is not None], horizon
        columns = [c for c in _LOG.c if c.key != "snapshot"]
        query = (
            select(*columns, cast(_LOG.c.snapshot, Text).label("snapshot_text"))
            .where(
                _LOG.c.seq > after.seq,
                _LOG.c.region_code.like(scope_pattern(scope)),
                _LOG.c.entity.in_(list(entities)),
            )
            .order_by(_LOG.c.seq)
            .limit(limit)
        )
        rows = list((await self.session.execute(query)).all())
        head = (await self.session.execute(select(func.max(_LOG.c.seq)))).scalar()
        return rows, FeedPosition(0, int(head or 0))

    async def rows_at(
        self, table: Table, keys: Sequence[tuple[uuid.UUID, int]]
    ) -> dict[tuple[str, int], str]:
        """The records of ``table`` among ``keys`` (id, version) whose row still has that version,
        by (id as text, version), each in the change log's snapshot form as JSON text: what the
        feed serves for a change logged without a snapshot.

        On PostgreSQL that is ``to_jsonb`` of the row with timestamps in UTC, the text the bulk
        path wrote as the snapshot before it stopped writing one; the zone stays UTC for the
        rest of the transaction (the feed reads nothing else that renders a timestamp as text).
        On SQLite, which never logs a change without a snapshot, the row as
        :func:`~app.core.record.snapshot_values` gives it."""
        if not keys:
            return {}
        if self.is_postgres:
            await self.session.execute(text("SET LOCAL TimeZone = 'UTC'"))
            result = await self.session.execute(
                text(_PG_ROWS_AT.format(table=table.name)),
                {"ids": [k[0] for k in keys], "versions": [k[1] for k in keys]},
            )
            return {(str(r.id), int(r.version)): str(r.data) for r in result}
        wanted = {(str(record_id), version) for record_id, version in keys}
        rows = await self.session.execute(select(table).where(table.c.id.in_([k[0] for k in keys])))
        found: dict[tuple[str, int], str] = {}
        for row in rows.mappings():
            key = (str(row["id"]), int(row["version"]))
            if key in wanted:
                found[key] = to_json(snapshot_values(table, dict(row))).decode()
        return found

    async def head(self) -> FeedPosition:
        """The position after which every future change will appear."""
        if self.is_postgres:
            xmin = (
                await self.session.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))
            ).scalar()
            return FeedPosition(int(str(xmin)), 0)
        head = (await self.session.execute(select(func.max(_LOG.c.seq)))).scalar()
        return FeedPosition(0, int(head or 0))

    async def newest(self) -> FeedPosition:
        """The position of the last row in the log (to notice a cursor from the future)."""
        if self.is_postgres:
            row = (
                await self.session.execute(
                    text("SELECT xid::text, seq FROM change_log ORDER BY xid DESC, seq DESC LIMIT 1")
                )
            ).first()
            return FeedPosition(int(row[0]), int(row[1])) if row else FeedPosition(0, 0)
        return await self.head()

    async def prune(self, older_than: datetime) -> FeedPosition | None:
        """Delete log rows older than ``older_than`` that every later row follows in feed order;
        returns the position pruned through."""
        order = [_LOG.c.xid, _LOG.c.seq] if self.is_postgres else [_LOG.c.seq]
        first_young = (
            await self.session.execute(
                select(_LOG.c.xid, _LOG.c.seq)
                .where(_LOG.c.changed_at >= older_than)
                .order_by(*order)
                .limit(1)
            )
        ).first()
        old = _LOG.c.changed_at < older_than
        if first_young is not None:
            fx, fs = int(first_young[0] or 0), int(first_young[1])
            before = (
                or_(_LOG.c.xid < fx, and_(_LOG.c.xid == fx, _LOG.c.seq < fs))
                if self.is_postgres
                else _LOG.c.seq < fs
            )
            old = and_(old, before)
        last = (
            await self.session.execute(
                select(_LOG.c.xid, _LOG.c.seq).where(old).order_by(*[c.desc() for c in order]).limit(1)
            )
        ).first()
        if last is None:
            return None
        await self.session.execute(_LOG.delete().where(old))
        return FeedPosition(int(last[0] or 0), int(last[1]))

    # snapshots and digests

    async def snapshot_page(
        self, table: Table, scope: str, after: uuid.UUID | None, limit: int
    ) -> list[Row[Any]]:
        query = select(table).where(table.c.region_code.like(scope_pattern(scope)))
        if after is not None:
            query = query.where(table.c.id > after)
        query = query.order_by(table.c.id).limit(limit)
        return list((await self.session.execute(query)).all())

    async def versions(
        self, table: Table, scope: str, batch: int = 20_000
    ) -> AsyncIterator[list[Row[Any, Any, Any]]]:
        after: uuid.UUID | None = None
        while True:
            query = select(table.c.id, table.c.version, table.c.region_code).where(
                table.c.region_code.like(scope_pattern(scope))
            )
            if after is not None:
                query = query.where(table.c.id > after)
            rows = list((await self.session.execute(query.order_by(table.c.id).limit(batch))).all())
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    # peers and sessions

    async def peer(self, name: str, *, for_update: bool = False) -> PeerState:
        query = select(PeerState).where(col(PeerState.peer) == name)
        if for_update:
            query = query.with_for_update()
        found = (await self.session.execute(query)).scalar_one_or_none()
        if found is None:
            found = PeerState(peer=name)
            self.session.add(found)
            await self.session.flush()
        return found

    async def peers(self) -> list[PeerState]:
        return list((await self.session.execute(select(PeerState))).scalars().all())

    async def take_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Hold the peer for ``seconds`` unless another owner holds an unexpired lease."""
        await self.peer(name)
        now = utcnow()
        result = await self.session.execute(
            update(PeerState)
            .where(
                col(PeerState.peer) == name,
                or_(
                    col(PeerState.lease_until).is_(None),
                    col(PeerState.lease_until) < now,
                    col(PeerState.lease_owner) == owner,
                ),
            )
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
        )
        return bool(getattr(result, "rowcount", 0))

    async def release_lease(self, name: str, owner: str) -> None:
        await self.session.execute(
            update(PeerState)
            .where(col(PeerState.peer) == name, col(PeerState.lease_owner) == owner)
            .values(lease_owner=None, lease_until=None)
        )

    async def add_session(self, record: SyncSession) -> None:
        await self.session.execute(insert(SyncSession).values(**record.model_dump()))

    async def finish_session(self, session_id: uuid.UUID, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(SyncSession).where(col(SyncSession.id) == session_id).values(**values)
        )

    async def sessions(self, peer: str, limit: int) -> Sequence[SyncSession]:
        query = (
            select(SyncSession)
            .where(col(SyncSession.peer) == peer)
            .order_by(col(SyncSession.started_at).desc())
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()
