"""The capability-assessment table."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord
from app.core.types import JSONDocument


class Assessment(SyncRecord, table=True):
    """One assessment of one person, scored when it is recorded. Never edited: a correction is
    a new assessment that ``amends`` this one, which then carries ``superseded_by``."""

    __tablename__ = "assessment"
    __table_args__ = (Index("ix_assessment_subject_latest", "id_number_hash", "assessed_on"),)

    subject_name: str = Field(max_length=50)
    id_number_enc: str = Field(max_length=200)
    id_number_hash: str = Field(max_length=64)
    id_number_masked: str = Field(max_length=18)
    birth_date: date
    sex: str = Field(max_length=6)
    assessed_on: date = Field(index=True)
    assessor: str = Field(max_length=50)
    standard: str = Field(max_length=30)
    items: dict[str, Any] = Field(sa_column=Column(JSONDocument, nullable=False))
    coma: bool = False
    dementia: bool = False
    psychiatric_disorder: bool = False
    care_risk_events_30d: int = 0
    total_score: int
    dimension_scores: dict[str, Any] = Field(sa_column=Column(JSONDocument, nullable=False))
    base_level: int
    level: int
    level_code: str = Field(max_length=12)
    adjustments: list[str] = Field(default_factory=list, sa_column=Column(JSONDocument, nullable=False))
    next_due_on: date = Field(index=True)
    amends: uuid.UUID | None = None
    amendment_reason: str = Field(default="", max_length=500)
    superseded_by: uuid.UUID | None = None


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="assessment",
        resource="assessment",
        personal_fields=(
            "subject_name",
            "birth_date",
        ),
        model=Assessment,
        kind="business",
        title_zh="老年人能力评估",
        title_en="Elderly capability assessments",
        pii_fields=("id_number_enc",),
        description=(
            "Capability assessments of people aged 60 and over, scored by the server from the "
            "standard's table (GB/T 42195-2022); corrections are new versions that amend the original."
        ),
        field_notes={
            "subject_name": "assessed person's name",
            "id_number_enc": "assessed person's resident ID number (encrypted)",
            "id_number_hash": "keyed blind index of the ID number (same index as recipient members)",
            "id_number_masked": "masked ID number",
            "birth_date": "birth date (from the ID number)",
            "sex": "male or female (from the ID number)",
            "assessed_on": "day of the assessment",
            "assessor": "who assessed",
            "standard": "scoring standard, e.g. GB/T 42195-2022",
            "items": "score of every item of the standard, by item code",
            "coma": "in a coma (rated the worst level directly)",
            "dementia": "diagnosed dementia (ICD-10 F00-F03)",
            "psychiatric_disorder": "other diagnosed psychiatric disorder (ICD-10 F04-F99)",
            "care_risk_events_30d": "care-risk events (fall, choking, suicide attempt, self-harm, "
            "wandering off) in the last 30 days",
            "total_score": "sum of the item scores",
            "dimension_scores": "score of each dimension, by dimension code",
            "base_level": "level from the total, before level changes",
            "level": "final level 0-4",
            "level_code": "intact, mild, moderate, severe or total",
            "adjustments": "level changes applied: coma, mental_disorder, care_risk_events",
            "next_due_on": "day the next routine re-assessment falls due",
            "amends": "the assessment this one corrects",
            "amendment_reason": "why the correction was made",
            "superseded_by": "the assessment that corrects this one",
        },
        order=40,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
