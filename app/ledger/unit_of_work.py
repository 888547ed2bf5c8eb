"""The one write path.

Every create, update and soft delete of a syncable record goes through a :class:`UnitOfWork`.
In the caller's transaction it stamps ``version``, ``updated_at`` and ``origin``, appends the
``change_log`` row (with the PostgreSQL transaction id) and appends the audit event. The
request's session commits all three together or none of them.

:meth:`UnitOfWork.bulk_create` is the same path for large imports on PostgreSQL: one
``INSERT … SELECT`` writes the records and their change-log rows, and one audit event records
the batch. Those change-log rows carry no snapshot: a snapshot would write every imported
record a second time, and the sync feed reads the record's row instead while it still has
version 1 (see docs/sync.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import FromClause, Select, column, func, insert, literal, literal_column, select, text, update
from sqlalchemy import table as sql_table
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.concurrency import check_precondition
from app.core.db import dialect_of
from app.core.errors import Conflict, PreconditionFailed
from app.core.record import ENTITIES, SyncRecord, entity_of, snapshot, snapshot_values
from app.core.types import UTCDateTime, utcnow
from app.ledger import audit, staging
from app.ledger.actor import Actor
from app.ledger.changelog import ChangeLog

SHIPPED_ORIGIN = "000000000000"
"""Origin of reference data shipped with the service: identical on every node, version 1."""


class UnitOfWork:
    def __init__(
        self,
        session: AsyncSession,
        actor: Actor,
        *,
        node_region: str,
        owns_shipped: bool = True,
    ) -> None:
        self.session = session
        self.actor = actor
        self.node_region = node_region
        self.owns_shipped = owns_shipped

    @property
    def is_postgres(self) -> bool:
        return dialect_of(self.session) == "postgresql"

    def check_writable(self, record: SyncRecord) -> None:
        """Only the owning node changes a record; replicas are read-only."""
        if record.origin == self.node_region:
            return
        if record.origin == SHIPPED_ORIGIN and self.owns_shipped and entity_of(record).kind == "reference":
            return
        raise Conflict(
            f"this record is a read-only replica owned by node {record.origin}; change it at its origin",
            extra={"origin": record.origin},
        )

    @staticmethod
    def check_version(record: SyncRecord, expected_version: int | None) -> None:
        """412 unless ``expected_version`` (from ``If-Match``) is the record's version; None
        skips the check (writes the service makes on its own account)."""
        if expected_version is None:
            return
        check_precondition(expected_version)
        if record.version != expected_version:
            raise PreconditionFailed(
                f"the record is at version {record.version}, not {expected_version}; "
                "fetch it again and retry",
                extra={"current_version": record.version},
            )

    async def create(
        self,
        record: SyncRecord,
        *,
        action: str | None = None,
        details: dict[str, Any] | None = None,
        origin: str | None = None,
        audit_event: bool = True,
    ) -> SyncRecord:
        now = utcnow()
        record.version = 1
        record.origin = origin or self.node_region
        record.created_at = now
        record.updated_at = now
        record.updated_by = self.actor.sub[:200]
        self.session.add(record)
        await self.session.flush()
        await self._derive(type(record), [record.id])
        await self._log(record, "upsert", action or "create", details, audit_event)
        return record

    async def update(
        self,
        record: SyncRecord,
        *,
        expected_version: int | None,
        changed: Iterable[str] = (),
        action: str | None = None,
        details: dict[str, Any] | None = None,
        audit_event: bool = True,
    ) -> SyncRecord:
        """Record changes the caller already made on ``record`` (loaded for update)."""
        self.check_writable(record)
        self.check_version(record, expected_version)
        if record.origin == SHIPPED_ORIGIN:
            record.origin = self.node_region
        record.version += 1
        record.updated_at = utcnow()
        record.updated_by = self.actor.sub[:200]
        self.session.add(record)
        await self.session.flush()
        await self._derive(type(record), [record.id])
        merged = {"fields": sorted(set(changed))} if changed else {}
        merged.update(details or {})
        await self._log(record, "upsert", action or "update", merged, audit_event)
        return record

    async def delete(
        self,
        record: SyncRecord,
        *,
        expected_version: int | None,
        action: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> SyncRecord:
        self.check_writable(record)
        self.check_version(record, expected_version)
        now = utcnow()
        record.deleted_at = now
        record.version += 1
        record.updated_at = now
        record.updated_by = self.actor.sub[:200]
        self.session.add(record)
        await self.session.flush()
        await self._derive(type(record), [record.id])
        await self._log(record, "delete", action or "delete", details, True)
        return record

    async def replicate(self, model: type[SyncRecord], values: dict[str, Any]) -> bool:
        """Apply a record as it is at its origin (sync): insert it, or overwrite the local copy
        when the incoming version is newer; an older or equal version changes nothing, so a
        repeated page is harmless. Appends the change-log row (with the origin's version) so
        this node serves the record on to its own parent. Returns whether anything changed."""
        table = model.__table__  # type: ignore[attr-defined]
        record_id = values["id"]
        current = (
            await self.session.execute(
                select(table.c.version).where(table.c.id == record_id).with_for_update()
            )
        ).scalar_one_or_none()
        if current is not None and current >= values["version"]:
            return False
        if current is None:
            await self.session.execute(insert(table).values(**values))
        else:
            await self.session.execute(update(table).where(table.c.id == record_id).values(**values))
        await self._derive(model, [record_id])
        spec_name = model.entity_name
        log_values: dict[str, Any] = {
            "entity": spec_name,
            "record_id": record_id,
            "op": "delete" if values.get("deleted_at") else "upsert",
            "version": values["version"],
            "region_code": values["region_code"],
            "origin": values["origin"],
            "changed_at": values["updated_at"],
            "snapshot": snapshot_values(table, values),
        }
        if self.is_postgres:
            log_values["xid"] = func.pg_current_xact_id()
        await self.session.execute(insert(ChangeLog).values(**log_values))
        return True

    async def replicate_snapshots(self, model: type[SyncRecord], snapshots: Sequence[dict[str, Any]]) -> int:
        """:meth:`replicate` for many records of one entity on PostgreSQL, set-based.

        ``snapshots`` are records in their snapshot form (JSON values, personal fields already
        sealed with this node's key). Of several versions of one record only the newest is
        applied. Returns how many records changed (see :meth:`replicate_batches`)."""
        table = model.__table__  # type: ignore[attr-defined]
        return await self.replicate_batches(model, staging.batches(table, snapshots))

    async def replicate_batches(self, model: type[SyncRecord], batches: Sequence[staging.Batch]) -> int:
        """Apply records of one entity prepared by :func:`app.ledger.staging.batches`
        (PostgreSQL). Each batch is COPYed into a temporary table, then one statement upserts
        its rows with ``ON CONFLICT (id) DO UPDATE … WHERE version < excluded.version`` and
        gives every row that changed its change-log row (snapshot ``to_jsonb`` of the stored
        row, timestamps in UTC, the shape of :func:`~app.core.record.snapshot`). Returns how
        many records changed."""
        if not self.is_postgres:
            raise RuntimeError("replicate_batches needs PostgreSQL; use replicate elsewhere")
        table = model.__table__  # type: ignore[attr-defined]
        await self.session.execute(text("SET LOCAL TimeZone = 'UTC'"))
        applied = 0
        for batch in batches:
            if not batch.count:
                continue
            names = ", ".join(f'"{c}"' for c in batch.columns)
            updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in batch.columns if c != "id")
            staged = await staging.stage(self.session, table, batch)
            statement = text(
                f"""
                WITH changed AS (
                    INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{staged}"
                    ON CONFLICT (id) DO UPDATE SET {updates}
                    WHERE "{table.name}".version < EXCLUDED.version
                    RETURNING "{table.name}".*
                ), logged AS (
                    INSERT INTO change_log
                        (entity, record_id, op, version, region_code, origin, changed_at, snapshot, xid)
                    SELECT :entity, c.id, CASE WHEN c.deleted_at IS NULL THEN 'upsert' ELSE 'delete' END,
                           c.version, c.region_code, c.origin, c.updated_at, to_jsonb(c),
                           pg_current_xact_id()
                    FROM changed c
                    RETURNING 1
                )
                SELECT count(*) FROM logged
                """  # noqa: S608 - table and column names come from the model, never from input
            )
            result = await self.session.execute(statement, {"entity": model.entity_name})
            applied += int(result.scalar_one())
            await self._derive(model, sql_table(staged, *(column(c.name) for c in table.columns)))
        return applied

    async def bulk_create(
        self,
        model: type[SyncRecord],
        columns: Sequence[str],
        source: Select[Any],
        *,
        action: str = "bulk_create",
        details: dict[str, Any] | None = None,
        audit_event: bool = True,
    ) -> int:
        """Insert the rows ``source`` selects as new records, set-based (PostgreSQL only).

        ``source`` yields one row per record with the values of ``columns`` in that order
        (``id`` among them); the unit of work adds version 1, this node as origin and the
        timestamps, as :meth:`create` does. In the same statement every inserted row gets its
        ``change_log`` row, WITHOUT a snapshot: writing every row again as JSON added about a
        third to the cost of the insert, and the sync feed serves the record's row itself (as
        ``to_jsonb`` under UTC, the shape of :func:`~app.core.record.snapshot`) as long as it
        still has version 1; every later change is logged with its snapshot. So the insert
        returns only what the log row needs. Then ONE audit event, ``action``, records the
        batch with its row count (a caller that writes its own event for the whole operation
        passes ``audit_event=False``, as with :meth:`create`). Returns the number of rows
        inserted.
        """
        if not self.is_postgres:
            raise RuntimeError("bulk_create needs PostgreSQL; create records one by one elsewhere")
        spec = ENTITIES[model.entity_name]
        table = model.__table__  # type: ignore[attr-defined]
        now = utcnow()
        src = source.subquery("src")
        stamped = select(
            *[src.c[name] for name in columns],
            literal(1),
            literal(self.node_region),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
            literal(self.actor.sub[:200]),
        )
        names = [*columns, "version", "origin", "created_at", "updated_at", "updated_by"]
        inserted = (
            insert(table)
            .from_select(names, stamped)
            .returning(table.c.id, table.c.version, table.c.region_code, table.c.origin, table.c.updated_at)
            .cte("inserted")
        )
        logged = (
            insert(ChangeLog)
            .from_select(
                [
                    "entity",
                    "record_id",
                    "op",
                    "version",
                    "region_code",
                    "origin",
                    "changed_at",
                    "xid",
                ],
                select(
                    literal(spec.name),
                    inserted.c.id,
                    literal("upsert"),
                    inserted.c.version,
                    inserted.c.region_code,
                    inserted.c.origin,
                    inserted.c.updated_at,
                    func.pg_current_xact_id(),
                ).select_from(inserted),
            )
            .returning(literal_column("1"))
            .cte("logged")
        )
        count = int((await self.session.execute(select(func.count()).select_from(logged))).scalar_one())
        # The rows this statement wrote carry its timestamp.
        await self._derive(
            model, select(table).where(table.c.created_at == literal(now, UTCDateTime())).subquery("written")
        )
        if not audit_event:
            return count
        await audit.append(
            self.session,
            self.actor,
            action if "." in action else f"{spec.name}.{action}",
            resource_type=spec.name,
            details={"rows": count, **(details or {})},
        )
        return count

    async def _derive(self, model: type[SyncRecord], written: Sequence[Any] | FromClause) -> None:
        """Keep the entity's derived columns (``EntitySpec.derive``) for the rows just written,
        given by id or as a from-clause of rows shaped like the table."""
        derive = ENTITIES[model.entity_name].derive
        if derive is None:
            return
        table = model.__table__  # type: ignore[attr-defined]
        if not isinstance(written, FromClause):
            written = select(table).where(table.c.id.in_(written)).subquery("written")
        await derive(self.session, table, written)

    async def audit(
        self,
        action: str,
        *,
        resource_type: str = "",
        resource_id: str = "",
        details: dict[str, Any] | None = None,
        region_code: str | None = None,
    ) -> None:
        """An audit event in this transaction for a change that is not a record write;
        ``region_code`` is the region it concerns (by default the actor's scope)."""
        await audit.append(
            self.session,
            self.actor,
            action,
            resource_type=resource_type,
            resource_id=resource_id,
            details=details,
            region_code=region_code,
        )

    async def _log(
        self,
        record: SyncRecord,
        op: str,
        verb: str,
        details: dict[str, Any] | None,
        audit_event: bool,
    ) -> None:
        spec = entity_of(record)
        values: dict[str, Any] = {
            "entity": spec.name,
            "record_id": record.id,
            "op": op,
            "version": record.version,
            "region_code": record.region_code,
            "origin": record.origin,
            "changed_at": record.updated_at,
            "snapshot": snapshot(record),
        }
        if self.is_postgres:
            values["xid"] = func.pg_current_xact_id()
        await self.session.execute(insert(ChangeLog).values(**values))
        if audit_event:
            action = verb if "." in verb else f"{spec.name}.{verb}"
            await audit.append(
                self.session,
                self.actor,
                action,
                resource_type=spec.name,
                resource_id=str(record.id),
                details={"version": record.version, **(details or {})},
                region_code=record.region_code,
            )
