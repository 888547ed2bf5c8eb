"""change_log.snapshot nullable: bulk-created records are logged without a snapshot

The address import writes up to millions of new records in one statement. A snapshot beside
each of them wrote every record a second time, as JSON: at a million addresses some 1.25 GB
of WAL, about a third of what the insert itself costs. Such a change is now logged without a
snapshot, and the feed serves the record's row as it reads the change, as long as the row
still has the change's version (app.sync.feed).

The downgrade gives the older release what this one serves: an empty snapshot becomes the
record's row as JSON (on PostgreSQL, ``to_jsonb`` with timestamps in UTC, the shape the bulk
path wrote before) where the row still has the change's version; every other empty snapshot
is deleted with its change-log row. The feed leaves exactly those rows out: their record has
moved on, and each later version has a change-log row of its own with a snapshot, or the
record is gone. Deleting a row from the middle of the log moves no cursor. SQLite never writes
an empty snapshot.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONDOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# The entities whose changes the bulk path logs without a snapshot at this revision, and their
# tables (only the address import creates records in bulk).
_BULK_TABLES = {"address": "address"}


def upgrade() -> None:
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.alter_column("snapshot", existing_type=JSONDOC, nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET LOCAL TimeZone = 'UTC'")
        for entity, table in _BULK_TABLES.items():
            op.execute(
                sa.text(
                    f'UPDATE change_log c SET snapshot = to_jsonb(t) FROM "{table}" t '  # noqa: S608 - names are constants
                    "WHERE c.entity = :entity AND c.snapshot IS NULL "
                    "AND t.id = c.record_id AND t.version = c.version"
                ).bindparams(entity=entity)
            )
    op.execute("DELETE FROM change_log WHERE snapshot IS NULL")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.alter_column("snapshot", existing_type=JSONDOC, nullable=False)
