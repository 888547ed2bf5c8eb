"""audit chainer: events are appended unchained and linked afterwards

``audit_log.seq`` is drawn from a sequence (appenders no longer read the head under a lock);
``chain_pos`` is an event's place in the chain, set with ``prev_hash`` and ``hash`` when the
event is linked; until then the three are null. Existing events keep their hashes: their place
is their ``seq``. The triggers that refuse changing audit rows now allow one change only:
linking an unchained event (those three columns, from null, every other column untouched).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 19:16:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGKEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_LINKED = ("chain_pos", "prev_hash", "hash")
# Every column but the three the linking sets (SQLite compares them one by one).
_KEPT = (
    "seq",
    "occurred_at",
    "actor_sub",
    "actor_roles",
    "actor_region",
    "action",
    "resource_type",
    "resource_id",
    "request_id",
    "client_addr",
    "outcome",
    "region_code",
    "details",
)

_PG_GUARD = """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.chain_pos IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
       AND NEW.chain_pos IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
       AND to_jsonb(NEW) - ARRAY['chain_pos', 'prev_hash', 'hash']
           = to_jsonb(OLD) - ARRAY['chain_pos', 'prev_hash', 'hash'] THEN
      RETURN NEW;  -- linking an unchained event, once
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$"""

_PG_GUARD_BEFORE = """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$"""

_SQLITE_NO_DELETE = (
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (DELETE refused)'); END"
)
_SQLITE_NO_UPDATE_BEFORE = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (UPDATE refused)'); END"
)
_SQLITE_LINKING = " AND ".join(
    [f"OLD.{c} IS NULL" for c in _LINKED]
    + [f"NEW.{c} IS NOT NULL" for c in _LINKED]
    + [f"NEW.{c} IS OLD.{c}" for c in _KEPT]
)
_SQLITE_NO_UPDATE = (
    f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN NOT ({_SQLITE_LINKING}) "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (UPDATE refused)'); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE audit_log_seq_seq OWNED BY audit_log.seq")
        op.execute(
            "SELECT setval('audit_log_seq_seq', COALESCE((SELECT max(seq) FROM audit_log), 0) + 1, false)"
        )
        op.execute("ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq_seq')")
        op.add_column("audit_log", sa.Column("chain_pos", sa.BigInteger(), nullable=True))
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        op.execute("UPDATE audit_log SET chain_pos = seq")
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
        op.alter_column("audit_log", "prev_hash", existing_type=sa.String(length=64), nullable=True)
        op.alter_column("audit_log", "hash", existing_type=sa.String(length=64), nullable=True)
        op.execute(_PG_GUARD)
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
        with op.batch_alter_table("audit_log", recreate="always") as batch:
            batch.add_column(sa.Column("chain_pos", sa.BigInteger(), nullable=True))
            batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
            batch.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        op.execute("UPDATE audit_log SET chain_pos = seq")
        op.execute(_SQLITE_NO_UPDATE)
        op.execute(_SQLITE_NO_DELETE)
    op.create_index("ix_audit_log_chain_pos", "audit_log", ["chain_pos"], unique=True)


def downgrade() -> None:
    """Back to events chained as they are appended: refused while some event is unchained or
    the chain's places no longer follow ``seq`` (the earlier verification walks ``seq``)."""
    bind = op.get_bind()
    unfit = bind.execute(
        sa.text("SELECT count(*) FROM audit_log WHERE chain_pos IS NULL OR chain_pos <> seq")
    ).scalar_one()
    if unfit:
        raise RuntimeError(f"{unfit} audit events are unchained or out of seq order; cannot downgrade")
    op.drop_index("ix_audit_log_chain_pos", table_name="audit_log")
    if bind.dialect.name == "postgresql":
        op.execute(_PG_GUARD_BEFORE)
        op.alter_column("audit_log", "hash", existing_type=sa.String(length=64), nullable=False)
        op.alter_column("audit_log", "prev_hash", existing_type=sa.String(length=64), nullable=False)
        op.drop_column("audit_log", "chain_pos")
        op.execute("ALTER TABLE audit_log ALTER COLUMN seq DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS audit_log_seq_seq")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
        with op.batch_alter_table("audit_log", recreate="always") as batch:
            batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
            batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
            batch.drop_column("chain_pos")
        op.execute(_SQLITE_NO_UPDATE_BEFORE)
        op.execute(_SQLITE_NO_DELETE)
