"""payment member index: payments looked up by the member paid (per-member kinds)

The quality rule ``payment_after_death`` joins payments to the members who died; without an
index on ``payment.member_id`` it read every payment. The unique index on
``(member_id, month, kind)`` is partial (monthly payments only), so it serves neither grants
nor a plain look-up by member.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_payment_member_id"), "payment", ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_member_id"), table_name="payment")
