"""Disability-subsidy tables (残疾人两项补贴): one record per member and subsidy, and its history."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Column, ForeignKey
from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord


class DisabilitySubsidy(SyncRecord, table=True):
    """A member's disability subsidy (两项补贴): the living subsidy or the nursing subsidy,
    moving apply → verify → approve → (suspend/resume) → exit like a household."""

    __tablename__ = "disability_subsidy"

    household_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("recipient_household.id"), nullable=False, index=True)
    )
    member_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("recipient_member.id"), nullable=False, index=True)
    )
    kind: str = Field(max_length=20)
    status: str = Field(default="applied", max_length=20)
    applied_on: date
    approved_on: date | None = None
    exited_on: date | None = None


class SubsidyTransition(SyncRecord, table=True):
    __tablename__ = "disability_subsidy_transition"

    subsidy_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("disability_subsidy.id"), nullable=False, index=True)
    )
    action: str = Field(max_length=20)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    reason: str = Field(default="", max_length=500)
    actor_sub: str = Field(max_length=200)
    actor_name: str = Field(default="", max_length=100)


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="disability_subsidy",
        resource="recipient",
        model=DisabilitySubsidy,
        kind="business",
        title_zh="残疾人两项补贴",
        title_en="Disability subsidies",
        description="Members' living and nursing subsidies through apply → verify → approve → exit.",
        field_notes={"kind": "disability_living or disability_nursing", "status": "as households"},
        order=35,
    ),
    EntitySpec(
        name="disability_subsidy_transition",
        resource="recipient",
        model=SubsidyTransition,
        kind="business",
        title_zh="两项补贴审批记录",
        title_en="Disability subsidy history",
        description="Every move of a disability subsidy through its workflow.",
        order=36,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
