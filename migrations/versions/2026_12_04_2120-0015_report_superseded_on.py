"""indicator report superseded_on: the day a later report took over, kept with each report

The latest report of an indicator, region and period on a day D is the one with ``as_of <= D``
whose ``superseded_on`` is empty or after D (app.indicator.supersession). Existing reports get
their value here, from the reports the node holds.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 21:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
UPDATE indicator_report SET superseded_on = (
    SELECT min(later.as_of) FROM indicator_report AS later
     WHERE later.period = indicator_report.period
       AND later.indicator_code = indicator_report.indicator_code
       AND later.region_code = indicator_report.region_code
       AND later.deleted_at IS NULL
       AND (later.as_of > indicator_report.as_of
            OR (later.as_of = indicator_report.as_of
                AND (later.created_at > indicator_report.created_at
                     OR (later.created_at = indicator_report.created_at
                         AND later.id > indicator_report.id))))
)
"""


def upgrade() -> None:
    with op.batch_alter_table("indicator_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_on", sa.Date(), nullable=True))
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("indicator_report", schema=None) as batch_op:
        batch_op.drop_column("superseded_on")
