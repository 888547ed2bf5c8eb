"""Recipient tables: households, members, workflow transitions, payment runs and payments."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, Column, ForeignKey, Index, UniqueConstraint, false
from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord, register_entity


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


class PaymentRun(SyncRecord, table=True):
    __tablename__ = "payment_run"

    month: str = Field(max_length=7, index=True)
    payment_count: int = 0
    total_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    skipped_count: int = 0


class Payment(SyncRecord, table=True):
    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("household_id", "month"),)

    run_id: uuid.UUID = Field(sa_column=Column(ForeignKey("payment_run.id"), nullable=False, index=True))
    household_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("recipient_household.id"), nullable=False, index=True)
    )
    month: str = Field(max_length=7)
    category: str = Field(max_length=20)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    member_count: int


register_entity(
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
    )
)
register_entity(
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
        },
        order=31,
    )
)
register_entity(
    EntitySpec(
        name="recipient_transition",
        resource="recipient",
        model=Transition,
        kind="business",
        title_zh="救助审批记录",
        title_en="Assistance workflow history",
        description="Every move of a household through apply → verify → approve → review → exit.",
        order=32,
    )
)
register_entity(
    EntitySpec(
        name="payment_run",
        resource="recipient",
        model=PaymentRun,
        kind="business",
        title_zh="救助金发放批次",
        title_en="Payment runs",
        description="Monthly payment runs per region.",
        order=33,
    )
)
register_entity(
    EntitySpec(
        name="payment",
        resource="recipient",
        model=Payment,
        kind="business",
        title_zh="救助金发放记录",
        title_en="Payments",
        description="One benefit payment to one household for one month.",
        order=34,
    )
)
