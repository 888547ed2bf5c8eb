"""Care tables: resources, needs, referrals with their history, visits."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord


class Resource(SyncRecord, table=True):
    """A service a provider offers to the people of its region (资源项目)."""

    __tablename__ = "care_resource"

    name: str = Field(max_length=100)
    provider: str = Field(max_length=100)
    provider_kind: str = Field(max_length=30)
    description: str = Field(default="", max_length=500)
    # Comma-delimited with a comma at each end (",medical,care,"), so "serves type t" is one LIKE.
    need_types: str = Field(max_length=200)
    elig_categories: str | None = Field(default=None, max_length=100)
    elig_min_age: int | None = None
    elig_max_age: int | None = None
    elig_assessment_levels: str | None = Field(default=None, max_length=20)
    elig_disability: bool | None = None
    capacity: int | None = None
    contact: str | None = Field(default=None, max_length=100)
    charity_trust_id: uuid.UUID | None = Field(default=None)
    active: bool = Field(default=True)


class Need(SyncRecord, table=True):
    """What a person needs (需求), from their own request, a visit, a discovery or elsewhere."""

    __tablename__ = "care_need"
    __table_args__ = (
        Index("ix_care_need_status_type", "status", "type"),
        UniqueConstraint("discovery_key"),
    )

    person_name: str = Field(max_length=50)
    id_number_enc: str = Field(max_length=200)
    id_number_hash: str = Field(max_length=64, index=True)
    id_number_masked: str = Field(max_length=18)
    birth_date: date
    household_id: uuid.UUID | None = Field(default=None, index=True)
    type: str = Field(max_length=30)
    description: str = Field(default="", max_length=1000)
    urgency: str = Field(max_length=10)
    source: str = Field(max_length=20)
    status: str = Field(default="open", max_length=20)
    status_note: str = Field(default="", max_length=500)
    opened_on: date
    ended_on: date | None = None
    visit_id: uuid.UUID | None = Field(default=None, index=True)
    discovery_rule: str | None = Field(default=None, max_length=60)
    # rule:month:ID hash — one need per person, rule and month from the discoveries.
    discovery_key: str | None = Field(default=None, max_length=140)


class Referral(SyncRecord, table=True):
    """A need sent to a resource (派单)."""

    __tablename__ = "care_referral"
    __table_args__ = (Index("ix_care_referral_resource_status", "resource_id", "status"),)

    need_id: uuid.UUID = Field(sa_column=Column(ForeignKey("care_need.id"), nullable=False, index=True))
    resource_id: uuid.UUID = Field(sa_column=Column(ForeignKey("care_resource.id"), nullable=False))
    status: str = Field(default="dispatched", max_length=20, index=True)
    note: str = Field(default="", max_length=500)
    dispatched_on: date
    accept_by: date
    due_on: date | None = None
    accepted_on: date | None = None
    declined_on: date | None = None
    served_on: date | None = None
    outcome: str = Field(default="", max_length=1000)
    closed_on: date | None = None


class ReferralEvent(SyncRecord, table=True):
    """One move of a referral: dispatch, accept, decline, serve, close."""

    __tablename__ = "care_referral_event"

    referral_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("care_referral.id"), nullable=False, index=True)
    )
    action: str = Field(max_length=20)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    note: str = Field(default="", max_length=1000)
    acted_on: date
    actor_sub: str = Field(max_length=200)
    actor_name: str = Field(default="", max_length=100)


class Visit(SyncRecord, table=True):
    """A visit to a person (探访): who went, when, what they found."""

    __tablename__ = "care_visit"

    person_name: str = Field(default="", max_length=50)
    id_number_enc: str = Field(max_length=200)
    id_number_hash: str = Field(max_length=64, index=True)
    id_number_masked: str = Field(max_length=18)
    household_id: uuid.UUID | None = Field(default=None, index=True)
    visited_on: date = Field(index=True)
    visitor: str = Field(max_length=100)
    findings: str = Field(default="", max_length=2000)


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="care_resource",
        resource="care",
        model=Resource,
        kind="business",
        title_zh="救助资源项目库",
        title_en="Care resources",
        description="Services providers offer, the area they serve, who qualifies and how many at once.",
        field_notes={
            "name": "name of the service",
            "provider": "who provides it",
            "provider_kind": "government, social_org, charity_trust, enterprise, volunteer or "
            "social_work_station",
            "description": "what the service is",
            "need_types": "need types served, comma-delimited",
            "elig_categories": "household categories served (none: any)",
            "elig_min_age": "youngest age served",
            "elig_max_age": "oldest age served",
            "elig_assessment_levels": "latest capability-assessment levels served",
            "elig_disability": "serves only people with a disability",
            "capacity": "people served at once (none: no limit)",
            "contact": "contact of the provider",
            "charity_trust_id": "charity trust funding the service",
            "active": "whether the service takes referrals",
        },
        order=60,
    ),
    EntitySpec(
        name="care_need",
        resource="care",
        model=Need,
        kind="business",
        title_zh="救助对象需求库",
        title_en="Care needs",
        personal_fields=("person_name", "birth_date"),
        pii_fields=("id_number_enc",),
        description="What people need (助医, 助学, 照护 …), where it came from and where it stands.",
        field_notes={
            "person_name": "name of the person in need",
            "id_number_enc": "resident ID number (encrypted)",
            "id_number_hash": "keyed blind index of the ID number",
            "id_number_masked": "masked ID number",
            "birth_date": "birth date (from the ID number)",
            "household_id": "assistance household of the person",
            "type": "need type: medical, education, care, home_adaptation, meals, employment, "
            "psychological, legal, living or other",
            "description": "the need in words",
            "urgency": "routine or urgent",
            "source": "self, visit, discovery or referral_in",
            "status": "open, referred, served, closed, declined or withdrawn",
            "status_note": "why the need was last declined, withdrawn or reopened",
            "opened_on": "day recorded",
            "ended_on": "day served, closed, declined or withdrawn",
            "visit_id": "visit that found the need",
            "discovery_rule": "discovery rule that found the need",
            "discovery_key": "rule, month and person: one need each",
        },
        order=61,
    ),
    EntitySpec(
        name="care_referral",
        resource="care",
        model=Referral,
        kind="business",
        title_zh="服务派单",
        title_en="Referrals",
        description="Needs sent to resources: dispatched, accepted, declined, served, closed.",
        field_notes={
            "need_id": "the need referred",
            "resource_id": "the resource it was sent to",
            "status": "dispatched, accepted, declined, served or closed",
            "note": "note given with the referral",
            "dispatched_on": "day dispatched",
            "accept_by": "last day to accept (3 working days after dispatch)",
            "due_on": "day the service is due by",
            "accepted_on": "day accepted",
            "declined_on": "day declined",
            "served_on": "day served",
            "outcome": "what the service achieved",
            "closed_on": "day closed",
        },
        order=62,
    ),
    EntitySpec(
        name="care_referral_event",
        resource="care",
        model=ReferralEvent,
        kind="business",
        title_zh="派单流转记录",
        title_en="Referral history",
        description="Every move of a referral, with who made it and when.",
        field_notes={
            "referral_id": "the referral",
            "action": "dispatch, accept, decline, serve or close",
            "acted_on": "day of the move",
        },
        order=63,
    ),
    EntitySpec(
        name="care_visit",
        resource="care",
        model=Visit,
        kind="business",
        title_zh="探访关爱记录",
        title_en="Visits",
        personal_fields=("person_name",),
        pii_fields=("id_number_enc",),
        description="Visits to people under the visit rules, with what was found.",
        field_notes={
            "person_name": "name of the person visited",
            "id_number_enc": "resident ID number (encrypted)",
            "id_number_hash": "keyed blind index of the ID number",
            "id_number_masked": "masked ID number",
            "household_id": "assistance household of the person",
            "visited_on": "day of the visit",
            "visitor": "who visited",
            "findings": "what the visitor found",
        },
        order=64,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
