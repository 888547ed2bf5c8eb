"""foundation: audit log, change log, idempotency keys, auth failures, regions

Revision ID: 0001
Revises:
Create Date: 2026-11-29 05:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from app.core.types import XID8

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = sqlmodel
TS = sa.DateTime(timezone=True)
JSONDOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIGKEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def record_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """Columns every syncable record carries (app.core.record.SyncRecord)."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("deleted_at", TS, nullable=True),
    ]


_PG_AUDIT_GUARD = (
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$""",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)

_SQLITE_AUDIT_GUARD = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (UPDATE refused)'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (DELETE refused)'); END",
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", BIGKEY, autoincrement=False, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("actor_sub", sa.String(length=200), nullable=False),
        sa.Column("actor_roles", sa.String(length=200), nullable=False),
        sa.Column("actor_region", sa.String(length=12), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource_type", sa.String(length=60), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("client_addr", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("details", JSONDOC, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_actor_sub", "audit_log", ["actor_sub"])
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"])
    op.create_index("ix_audit_log_resource", "audit_log", ["resource_type", "resource_id"])
    guard = _PG_AUDIT_GUARD if op.get_bind().dialect.name == "postgresql" else _SQLITE_AUDIT_GUARD
    for statement in guard:
        op.execute(statement)

    op.create_table(
        "auth_failure",
        sa.Column("client_addr", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client_addr", name=op.f("pk_auth_failure")),
    )

    op.create_table(
        "change_log",
        sa.Column("seq", BIGKEY, autoincrement=True, nullable=False),
        sa.Column("xid", sa.BigInteger().with_variant(XID8(), "postgresql"), nullable=True),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("snapshot", JSONDOC, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_log")),
    )
    op.create_index("ix_change_log_entity_record", "change_log", ["entity", "record_id"])
    op.create_index("ix_change_log_xid_seq", "change_log", ["xid", "seq"])

    op.create_table(
        "idempotency_key",
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("body", JSONDOC, nullable=True),
        sa.Column("headers", JSONDOC, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_key")),
    )
    op.create_index(op.f("ix_idempotency_key_expires_at"), "idempotency_key", ["expires_at"])

    op.create_table(
        "region",
        *record_columns(),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("code", name=op.f("uq_region_code")),
    )
    op.create_index(op.f("ix_region_level"), "region", ["level"])
    op.create_index(op.f("ix_region_parent_code"), "region", ["parent_code"])
    op.create_index(op.f("ix_region_region_code"), "region", ["region_code"])


def downgrade() -> None:
    op.drop_table("region")
    op.drop_table("idempotency_key")
    op.drop_table("change_log")
    op.drop_table("auth_failure")
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
