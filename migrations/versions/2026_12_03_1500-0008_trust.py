"""trust: audit event regions, pinned child regions, duplicate cases, identity text normalised

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:00:00

Schema: ``audit_log.region_code`` (the region an event concerns; '' for events of the node
itself, which every earlier event becomes), ``sync_peer_state.region`` (a child's pinned
region) and the local table ``recipient_duplicate_case``.

Data: ID and phone numbers stored as typed by earlier releases (full-width digits, spaces,
hyphens, other digit scripts) are decrypted with the configured keys (``MZ_PII_KEYS``),
normalised, encrypted again under ``MZ_PII_ACTIVE_KEY`` with their blind index and masked copy
recomputed — in the records and in the change log's snapshots — so one person registered
under two spellings shows up in ``/recipients/duplicates``. The pass needs the node's keys
only when the database holds such records; it fails, changing nothing, when a ciphertext
names a key that is not configured. The downgrade keeps the normalised values (earlier
releases accept them as they are).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

from app.core.config import Settings, get_settings
from app.security.identity import renormalize
from app.security.pii import PiiCipher

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = sqlmodel


def _renormalize_identities() -> None:
    @cache
    def cipher() -> PiiCipher:
        settings = context.config.attributes.get("settings")
        return PiiCipher.from_settings(settings if isinstance(settings, Settings) else get_settings())

    renormalize(op.get_bind(), cipher)


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy on SQLite): audit_log keeps its append-only triggers.
    op.add_column(
        "audit_log", sa.Column("region_code", sa.String(length=12), nullable=False, server_default="")
    )
    op.create_index("ix_audit_log_region_code", "audit_log", ["region_code"], unique=False)

    with op.batch_alter_table("sync_peer_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=12), nullable=True))

    op.create_table(
        "recipient_duplicate_case",
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scope_region", sa.String(length=12), nullable=False),
        sa.Column("requested_region", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("member_index", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("existing_region", sa.String(length=12), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_recipient_duplicate_case")),
    )
    with op.batch_alter_table("recipient_duplicate_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recipient_duplicate_case_scope_region"), ["scope_region"], unique=False
        )

    _renormalize_identities()


def downgrade() -> None:
    with op.batch_alter_table("recipient_duplicate_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipient_duplicate_case_scope_region"))
    op.drop_table("recipient_duplicate_case")

    with op.batch_alter_table("sync_peer_state", schema=None) as batch_op:
        batch_op.drop_column("region")

    op.drop_index("ix_audit_log_region_code", table_name="audit_log")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would drop the append-only triggers.
    op.drop_column("audit_log", "region_code")
