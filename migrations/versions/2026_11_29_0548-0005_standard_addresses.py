"""standard addresses

The address register, with its search index: on PostgreSQL a pg_trgm GIN index on
``search_text``; on SQLite an FTS5 table ``address_fts`` (trigram tokenizer) kept in step with
``address`` by triggers. A later revision that rebuilds ``address`` on SQLite (batch mode) drops
these triggers and must create them again (see ``_SQLITE_FTS``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 05:48:27.665255
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# keeps the import used: autogenerate renders sqlmodel's AutoString
_ = sqlmodel


_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE address_fts USING fts5(search_text, address_id UNINDEXED, tokenize='trigram')",
    """CREATE TRIGGER address_fts_insert AFTER INSERT ON address BEGIN
        INSERT INTO address_fts (search_text, address_id) VALUES (new.search_text, new.id);
    END""",
    """CREATE TRIGGER address_fts_update AFTER UPDATE OF search_text ON address
    WHEN old.search_text IS NOT new.search_text BEGIN
        DELETE FROM address_fts WHERE address_id = old.id;
        INSERT INTO address_fts (search_text, address_id) VALUES (new.search_text, new.id);
    END""",
    """CREATE TRIGGER address_fts_delete AFTER DELETE ON address BEGIN
        DELETE FROM address_fts WHERE address_id = old.id;
    END""",
    "INSERT INTO address_fts (search_text, address_id) SELECT search_text, id FROM address",
)


def _dialect() -> str:
    return op.get_bind().dialect.name


def upgrade() -> None:
    if _dialect() == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "address",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address_code", sa.String(length=30), nullable=False),
        sa.Column("plate_code", sa.String(length=10), nullable=False),
        sa.Column("community", sa.String(length=50), nullable=False),
        sa.Column("road", sa.String(length=50), nullable=False),
        sa.Column("compound", sa.String(length=50), nullable=False),
        sa.Column("house_number", sa.String(length=20), nullable=False),
        sa.Column("building", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("floor", sa.String(length=20), nullable=False),
        sa.Column("room", sa.String(length=20), nullable=False),
        sa.Column(
            "aliases",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("match_key", sa.String(length=32), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("successor_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address")),
        sa.UniqueConstraint("address_code", name=op.f("uq_address_address_code")),
        sa.UniqueConstraint("plate_code", name=op.f("uq_address_plate_code")),
    )
    with op.batch_alter_table("address", schema=None) as batch_op:
        batch_op.create_index("ix_address_compound_building", ["compound", "building"], unique=False)
        batch_op.create_index(
            "ix_address_hierarchy",
            ["region_code", "road", "compound", "house_number", "building", "unit"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_address_region_code"), ["region_code"], unique=False)
        batch_op.create_index("ix_address_road_number", ["road", "house_number"], unique=False)
        batch_op.create_index(
            "ix_address_search_fts",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=sa.text("0"),
        )
        batch_op.create_index(
            "uq_address_match_key",
            ["match_key"],
            unique=True,
            postgresql_where=sa.text("status = 'active' AND deleted_at IS NULL"),
            sqlite_where=sa.text("status = 'active' AND deleted_at IS NULL"),
        )
    if _dialect() == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if _dialect() == "sqlite":
        for name in ("address_fts_insert", "address_fts_update", "address_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS address_fts")
    with op.batch_alter_table("address", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_address_match_key",
            postgresql_where=sa.text("status = 'active' AND deleted_at IS NULL"),
            sqlite_where=sa.text("status = 'active' AND deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_address_search_fts",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=sa.text("0"),
        )
        batch_op.drop_index("ix_address_road_number")
        batch_op.drop_index(batch_op.f("ix_address_region_code"))
        batch_op.drop_index("ix_address_hierarchy")
        batch_op.drop_index("ix_address_compound_building")

    op.drop_table("address")
