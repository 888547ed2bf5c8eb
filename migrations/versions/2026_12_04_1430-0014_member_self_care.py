"""member self-care: the self-care assessment (《特困人员认定办法》 art. 12) of a member under 60

A tekun member's care-allowance tier comes from the GB/T 42195-2022 capability assessment,
which covers people of 60 and over; members under 60 are assessed on the six self-care items
of 民发〔2021〕43号 art. 12, recorded on the member: the day and the items the member cannot do.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recipient_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("self_care_assessed_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("self_care_unable", sa.String(length=100), nullable=False, server_default="")
        )
    # Existing members start unassessed. The server default stays, so a snapshot from a node not
    # yet upgraded still applies.


def downgrade() -> None:
    with op.batch_alter_table("recipient_member", schema=None) as batch_op:
        batch_op.drop_column("self_care_unable")
        batch_op.drop_column("self_care_assessed_on")
