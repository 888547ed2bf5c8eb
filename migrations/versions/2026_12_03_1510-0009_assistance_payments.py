"""assistance payments: payment kinds and per-member payments, one run per region and month,
run skips, disability subsidies, death records; capability levels whose raises do not stack

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:10:00

Schema:
- ``payment`` gains ``kind`` (existing rows: ``dibao``), ``member_id`` (per-member kinds) and
  ``reason`` (grants); ``run_id`` becomes optional (a grant has no run). The old unique
  ``(household_id, month)`` becomes two partial unique indexes — household payments per
  ``(household_id, month, kind)``, member payments per ``(member_id, month, kind)`` — for the
  monthly kinds only (grants are exempt); partial, because NULL member ids never collide in a
  unique index on PostgreSQL.
- ``payment_run`` is unique per ``(region_code, month)`` among live runs. Runs repeated before
  this revision are merged first: the earliest run keeps its id and takes over the later
  runs' payments and counts; the later ones are marked deleted.
- New tables: ``payment_skip``, ``disability_subsidy``, ``disability_subsidy_transition``,
  ``death_record``.

Data: assessments with both a mental-disorder raise and a care-risk raise were rated two
levels above their base; GB/T 42195-2022 raises one level when any of those conditions holds
(see docs/assessments.md, "Capability levels"). Their ``level`` and ``level_code`` are recomputed.

Downgrade restores the old shape; payments it cannot hold (kinds other than dibao, grants
without a run, member payments) are deleted, as are the new tables, and the levels go back to
one raise per condition.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# keeps the import used: autogenerate renders sqlmodel's AutoString
_ = sqlmodel

MONTHLY = "kind NOT IN ('emergency', 'expenditure')"
LIVE = "deleted_at IS NULL"
LEVEL_CODES = "CASE {level} WHEN 0 THEN 'intact' WHEN 1 THEN 'mild' WHEN 2 THEN 'moderate' WHEN 3 THEN 'severe' ELSE 'total' END"
RELEVEL = "UPDATE assessment SET level = {level}, level_code = {code} WHERE {where}"
ONE_RAISE = "CASE WHEN base_level + 1 > 4 THEN 4 ELSE base_level + 1 END"
TWO_RAISES = "CASE WHEN base_level + 2 > 4 THEN 4 ELSE base_level + 2 END"
BOTH_RAISES = (
    "standard = 'GB/T 42195-2022' AND NOT coma AND (dementia OR psychiatric_disorder) "
    "AND care_risk_events_30d >= 2"
)


def _sync_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _merge_repeated_runs() -> None:
    """Keep the earliest live run of each (region, month); move later runs' payments to it."""
    keeper = (
        "(SELECT k.id FROM payment_run k WHERE k.region_code = {r}.region_code AND k.month = {r}.month "
        "AND k.deleted_at IS NULL ORDER BY k.created_at, k.id LIMIT 1)"
    )
    # Every statement here is built from the constants above, never from data.
    move = "UPDATE payment SET run_id = (SELECT {keeper} FROM payment_run r WHERE r.id = payment.run_id) "
    move += "WHERE run_id IN (SELECT id FROM payment_run WHERE deleted_at IS NULL)"
    op.execute(move.format(keeper=keeper.format(r="r")))
    retire = "UPDATE payment_run SET deleted_at = updated_at, version = version + 1, "
    retire += "payment_count = 0, total_fen = 0 WHERE deleted_at IS NULL AND id <> {keeper}"
    op.execute(retire.format(keeper=keeper.format(r="payment_run")))
    op.execute(
        "UPDATE payment_run SET "
        "payment_count = (SELECT count(*) FROM payment p WHERE p.run_id = payment_run.id), "
        "total_fen = COALESCE((SELECT sum(p.amount_fen) FROM payment p WHERE p.run_id = payment_run.id), 0) "
        "WHERE deleted_at IS NULL AND id IN (SELECT run_id FROM payment)"
    )


def upgrade() -> None:
    _merge_repeated_runs()
    with op.batch_alter_table("payment_run", schema=None) as batch_op:
        batch_op.create_index(
            "uq_payment_run_region_month",
            ["region_code", "month"],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
    op.execute("UPDATE payment SET kind = 'dibao'")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("run_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.drop_constraint("uq_payment_household_id_month", type_="unique")
        batch_op.create_index("ix_payment_month_kind", ["month", "kind"], unique=False)
        batch_op.create_index(
            "uq_payment_household_month_kind",
            ["household_id", "month", "kind"],
            unique=True,
            sqlite_where=sa.text(f"member_id IS NULL AND {MONTHLY}"),
            postgresql_where=sa.text(f"member_id IS NULL AND {MONTHLY}"),
        )
        batch_op.create_index(
            "uq_payment_member_month_kind",
            ["member_id", "month", "kind"],
            unique=True,
            sqlite_where=sa.text(f"member_id IS NOT NULL AND {MONTHLY}"),
            postgresql_where=sa.text(f"member_id IS NOT NULL AND {MONTHLY}"),
        )
        batch_op.create_foreign_key(
            "fk_payment_member_id_recipient_member", "recipient_member", ["member_id"], ["id"]
        )

    op.create_table(
        "payment_skip",
        *_sync_columns(),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["recipient_household.id"],
            name=op.f("fk_payment_skip_household_id_recipient_household"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_run.id"], name=op.f("fk_payment_skip_run_id_payment_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_skip")),
    )
    with op.batch_alter_table("payment_skip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_skip_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_skip_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_skip_run_id"), ["run_id"], unique=False)

    op.create_table(
        "disability_subsidy",
        *_sync_columns(),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("exited_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["recipient_household.id"],
            name=op.f("fk_disability_subsidy_household_id_recipient_household"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["recipient_member.id"],
            name=op.f("fk_disability_subsidy_member_id_recipient_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disability_subsidy")),
    )
    with op.batch_alter_table("disability_subsidy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disability_subsidy_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_disability_subsidy_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disability_subsidy_region_code"), ["region_code"], unique=False)

    op.create_table(
        "disability_subsidy_transition",
        *_sync_columns(),
        sa.Column("subsidy_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_sub", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["subsidy_id"],
            ["disability_subsidy.id"],
            name=op.f("fk_disability_subsidy_transition_subsidy_id_disability_subsidy"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disability_subsidy_transition")),
    )
    with op.batch_alter_table("disability_subsidy_transition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disability_subsidy_transition_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disability_subsidy_transition_subsidy_id"), ["subsidy_id"], unique=False
        )

    op.create_table(
        "death_record",
        *_sync_columns(),
        sa.Column("id_number_enc", sa.String(length=200), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.Column("id_number_masked", sa.String(length=18), nullable=False),
        sa.Column("died_on", sa.Date(), nullable=False),
        sa.Column("died_month", sa.String(length=7), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_death_record")),
    )
    with op.batch_alter_table("death_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_death_record_region_code"), ["region_code"], unique=False)
        batch_op.create_index(
            "uq_death_record_id_number_hash",
            ["id_number_hash"],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )

    # One raise for any of the conditions (GB/T 42195-2022), not one per condition.
    op.execute(RELEVEL.format(level=ONE_RAISE, code=LEVEL_CODES.format(level=ONE_RAISE), where=BOTH_RAISES))


def downgrade() -> None:
    op.execute(RELEVEL.format(level=TWO_RAISES, code=LEVEL_CODES.format(level=TWO_RAISES), where=BOTH_RAISES))
    with op.batch_alter_table("death_record", schema=None) as batch_op:
        batch_op.drop_index("uq_death_record_id_number_hash")
        batch_op.drop_index(batch_op.f("ix_death_record_region_code"))
    op.drop_table("death_record")
    with op.batch_alter_table("disability_subsidy_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disability_subsidy_transition_subsidy_id"))
        batch_op.drop_index(batch_op.f("ix_disability_subsidy_transition_region_code"))
    op.drop_table("disability_subsidy_transition")
    with op.batch_alter_table("disability_subsidy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disability_subsidy_region_code"))
        batch_op.drop_index(batch_op.f("ix_disability_subsidy_member_id"))
        batch_op.drop_index(batch_op.f("ix_disability_subsidy_household_id"))
    op.drop_table("disability_subsidy")
    with op.batch_alter_table("payment_skip", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_skip_run_id"))
        batch_op.drop_index(batch_op.f("ix_payment_skip_region_code"))
        batch_op.drop_index(batch_op.f("ix_payment_skip_household_id"))
    op.drop_table("payment_skip")

    # The old shape holds one dibao payment per household and month, always from a run.
    op.execute("DELETE FROM payment WHERE kind <> 'dibao' OR run_id IS NULL OR member_id IS NOT NULL")
    op.execute(
        "UPDATE payment_run SET "
        "payment_count = (SELECT count(*) FROM payment p WHERE p.run_id = payment_run.id), "
        "total_fen = COALESCE((SELECT sum(p.amount_fen) FROM payment p WHERE p.run_id = payment_run.id), 0)"
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_payment_member_id_recipient_member", type_="foreignkey")
        batch_op.drop_index("uq_payment_member_month_kind")
        batch_op.drop_index("uq_payment_household_month_kind")
        batch_op.drop_index("ix_payment_month_kind")
        batch_op.create_unique_constraint("uq_payment_household_id_month", ["household_id", "month"])
        batch_op.alter_column("run_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("reason")
        batch_op.drop_column("kind")
        batch_op.drop_column("member_id")
    with op.batch_alter_table("payment_run", schema=None) as batch_op:
        batch_op.drop_index("uq_payment_run_region_month")
