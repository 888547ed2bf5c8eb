"""Recipient tables: households, members, workflow transitions, payment runs, payments and
the skips a run records. Disability subsidies and death records have modules of their own."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, false, text
from sqlmodel import Field, SQLModel

from app.core.record import EntitySpec, SyncRecord
from app.core.types import UTCDateTime, utcnow


class Household(SyncRecord, table=True):
    __tablename__ = "recipient_household"
    __table_args__ = (Index("ix_recipient_household_status_category", "status", "category"),)

    category: str = Field(max_length=20)
    status: str = Field(default="applied", max_length=20)
    monthly_income_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    member_count: int = Field(default=0)
    head_name: str = Field(default="", max_length=50)
    address_id: uuid.UUID | None = Field(default=None)
    address_text: str | None = Field(default=None, max_length=200)
    # Tekun only: ``home`` 分散供养 (supported at home) or ``institution`` 集中供养.
    support_mode: str | None = Field(default=None, max_length=20)
    applied_on: date
    approved_on: date | None = None
    last_reviewed_on: date | None = None
    exited_on: date | None = None


class Member(SyncRecord, table=True):
    __tablename__ = "recipient_member"

    household_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("recipient_household.id"), nullable=False, index=True)
    )
    name: str = Field(max_length=50, index=True)
    relation: str = Field(max_length=20)
    id_number_enc: str = Field(max_length=200)
    id_number_hash: str = Field(max_length=64, index=True)
    id_number_masked: str = Field(max_length=18)
    birth_date: date
    sex: str = Field(max_length=6)
    phone_enc: str | None = Field(default=None, max_length=200)
    phone_masked: str | None = Field(default=None, max_length=20)
    disability_grade: int | None = None
    subsidies: str = Field(default="", max_length=100)
    living_alone: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    parents_absent: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Self-care assessment (《特困人员认定办法》 art. 12) of a member under 60: the day it was made
    # and the items the member cannot do (``app.recipient.tekun.SELF_CARE_ITEMS``, comma-separated).
    self_care_assessed_on: date | None = Field(default=None)
    self_care_unable: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})


class Transition(SyncRecord, table=True):
    __tablename__ = "recipient_transition"

    household_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("recipient_household.id"), nullable=False, index=True)
    )
    action: str = Field(max_length=20)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    reason: str = Field(default="", max_length=500)
    actor_sub: str = Field(max_length=200)
    actor_name: str = Field(default="", max_length=100)


GRANT_KINDS = ("emergency", "expenditure")
"""Temporary-assistance grants: one-off payments, any number a month."""
MONTHLY_KINDS = ("dibao", "tekun_basic", "tekun_care", "disability_living", "disability_nursing")
"""Monthly payments: at most one per household (or member), month and kind."""
_MONTHLY = "kind NOT IN ('emergency', 'expenditure')"


class PaymentRun(SyncRecord, table=True):
    __tablename__ = "payment_run"
    # One run per region and month (deleted runs aside): a second request answers 409.
    __table_args__ = (
        Index(
            "uq_payment_run_region_month",
            "region_code",
            "month",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    month: str = Field(max_length=7, index=True)
    payment_count: int = 0
    total_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    skipped_count: int = 0


class Payment(SyncRecord, table=True):
    """One payment. Monthly payments come from a run (``run_id``); a temporary-assistance grant
    has no run. ``member_id`` is set for per-member kinds (tekun, disability subsidies);
    ``category`` is the household's category when paid."""

    __tablename__ = "payment"
    # Two partial indexes, because NULL member ids never collide in a unique index on
    # PostgreSQL: household payments are unique per (household, month, kind), member payments
    # per (member, month, kind); grants are exempt.
    __table_args__ = (
        Index(
            "uq_payment_household_month_kind",
            "household_id",
            "month",
            "kind",
            unique=True,
            sqlite_where=text(f"member_id IS NULL AND {_MONTHLY}"),
            postgresql_where=text(f"member_id IS NULL AND {_MONTHLY}"),
        ),
        Index(
            "uq_payment_member_month_kind",
            "member_id",
            "month",
            "kind",
            unique=True,
            sqlite_where=text(f"member_id IS NOT NULL AND {_MONTHLY}"),
            postgresql_where=text(f"member_id IS NOT NULL AND {_MONTHLY}"),
        ),
        Index("ix_payment_month_kind", "month", "kind"),
    )

    run_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("payment_run.id"), nullable=True, index=True)
    )
    household_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("recipient_household.id"), nullable=False, index=True)
    )
    member_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("recipient_member.id"), nullable=True, index=True)
    )
    month: str = Field(max_length=7)
    category: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    member_count: int
    reason: str | None = Field(default=None, max_length=500)


class PaymentSkip(SyncRecord, table=True):
    """Why a run paid a household or member nothing (or less) this month."""

    __tablename__ = "payment_skip"

    run_id: uuid.UUID = Field(sa_column=Column(ForeignKey("payment_run.id"), nullable=False, index=True))
    household_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("recipient_household.id"), nullable=False, index=True)
    )
    member_id: uuid.UUID | None = Field(default=None)
    kind: str = Field(max_length=20)
    reason_code: str = Field(max_length=40)
    reason: str = Field(max_length=300)


class DuplicateCase(SQLModel, table=True):
    """A registration refused because the person is already registered outside the caller's
    scope. The caller gets only ``ref``; an admin of the common parent region looks it up.
    A local table: not a record, never synced."""

    __tablename__ = "recipient_duplicate_case"

    ref: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    scope_region: str = Field(max_length=12, index=True)
    requested_region: str = Field(max_length=12)
    requested_by: str = Field(max_length=200)
    member_index: int
    household_id: uuid.UUID
    existing_region: str = Field(max_length=12)
    id_number_hash: str = Field(max_length=64)


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="recipient_household",
        resource="recipient",
        personal_fields=(
            "head_name",
            "address_text",
        ),
        model=Household,
        kind="business",
        title_zh="救助家庭",
        title_en="Assistance households",
        description="Households receiving or applying for social assistance (dibao, dibao-edge, tekun, temporary).",  # noqa: E501
        field_notes={
            "category": "dibao, dibao_edge, tekun or temporary",
            "status": "applied, verified, approved, suspended, exited or rejected",
            "monthly_income_fen": "household monthly income, in fen",
            "member_count": "members in the household",
            "head_name": "name of the head of household",
            "address_id": "link to the standard address register",
            "address_text": "address as given",
            "support_mode": "tekun support: home (分散供养) or institution (集中供养)",
        },
        order=30,
    ),
    EntitySpec(
        name="recipient_member",
        resource="recipient",
        personal_fields=(
            "name",
            "birth_date",
        ),
        model=Member,
        kind="business",
        title_zh="救助家庭成员",
        title_en="Household members",
        pii_fields=("id_number_enc", "phone_enc"),
        description="Members of assistance households, with disability grades and subsidies held.",
        field_notes={
            "name": "member's name",
            "relation": "relation to the head",
            "id_number_enc": "resident ID number (encrypted)",
            "id_number_hash": "keyed blind index of the ID number",
            "id_number_masked": "masked ID number",
            "birth_date": "birth date (from the ID number)",
            "phone_enc": "phone number (encrypted)",
            "disability_grade": "disability grade 1-4",
            "subsidies": "subsidies held: disability_living, disability_nursing, elderly_care",
            "living_alone": "lives alone (独居)",
            "parents_absent": "a child whose parents are both absent (父母双方缺位)",
            "self_care_assessed_on": "day of the member's self-care assessment (生活自理能力评估, "
            "民发〔2021〕43号 art. 12), used for the tekun care tier under 60",
            "self_care_unable": "self-care items the member cannot do: eating, dressing, bed_transfer, "
            "toileting, indoor_walking, bathing",
        },
        order=31,
    ),
    EntitySpec(
        name="recipient_transition",
        resource="recipient",
        model=Transition,
        kind="business",
        title_zh="救助审批记录",
        title_en="Assistance workflow history",
        description="Every move of a household through apply → verify → approve → review → exit.",
        order=32,
    ),
    EntitySpec(
        name="payment_run",
        resource="recipient",
        model=PaymentRun,
        kind="business",
        title_zh="救助金发放批次",
        title_en="Payment runs",
        description="Monthly payment runs per region.",
        order=33,
    ),
    EntitySpec(
        name="payment",
        resource="recipient",
        model=Payment,
        kind="business",
        title_zh="救助金发放记录",
        title_en="Payments",
        description="Payments: monthly benefits per household or member and kind, and one-off "
        "temporary-assistance grants.",
        field_notes={
            "kind": "dibao, tekun_basic, tekun_care, disability_living, disability_nursing (monthly); "
            "emergency, expenditure (temporary-assistance grants)",
            "member_id": "the member paid, for per-member kinds",
            "category": "the household's category when paid",
            "month": "YYYY-MM the payment is for",
            "amount_fen": "amount in fen",
            "run_id": "the payment run (empty for grants)",
        },
        order=34,
    ),
    EntitySpec(
        name="payment_skip",
        resource="recipient",
        model=PaymentSkip,
        kind="business",
        title_zh="发放跳过记录",
        title_en="Payment skips",
        description="Households and members a payment run did not pay, with the reason.",
        order=37,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
