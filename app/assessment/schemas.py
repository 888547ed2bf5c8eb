"""Assessment request and response bodies. Clients send item scores and conditions; every score,
level and date derived from them is the server's (bodies naming them are refused)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, field_validator

from app.assessment.tables import DEFAULT_STANDARD, TABLES, level_codes
from app.core import validators
from app.core.params import RegionFilter
from app.core.validators import Day, IdNumberFilter, PersonName, RegionCode, not_blank

IdNumber = validators.IdNumber  # normalised at the door (app.core.validators)
ItemScores = Annotated[
    dict[str, StrictInt],
    Field(
        max_length=64,
        description="Score of every item of the standard, by item code (see `GET /assessments/standards`).",
        examples=[{"eating": 4, "stairs": 3}],
    ),
]


Reason = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(not_blank)]


class SubjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    id_number: IdNumber


class ConditionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coma: bool = False
    dementia: bool = Field(default=False, description="Diagnosed dementia (ICD-10 F00–F03).")
    psychiatric_disorder: bool = Field(
        default=False, description="Another diagnosed psychiatric disorder (ICD-10 F04–F99)."
    )
    care_risk_events_30d: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Falls, choking, suicide attempts, self-harm, wandering off in the last 30 days.",
    )


class AssessmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: RegionCode
    subject: SubjectIn
    assessed_on: date
    assessor: PersonName
    standard: str = Field(default=DEFAULT_STANDARD, examples=[DEFAULT_STANDARD])
    items: ItemScores
    conditions: ConditionsIn = Field(default_factory=ConditionsIn)

    @field_validator("standard")
    @classmethod
    def _known_standard(cls, value: str) -> str:
        if value not in TABLES:
            raise ValueError(f"unknown standard; known: {', '.join(TABLES)}")
        return value


class AmendmentCreate(BaseModel):
    """A correction: the reason, and only the fields that change. ``items`` lists the corrected
    item scores (the others are kept); ``conditions``, when given, replaces them whole."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    subject_name: PersonName | None = None
    assessed_on: date | None = None
    assessor: PersonName | None = None
    items: ItemScores | None = None
    conditions: ConditionsIn | None = None


def _known_level(value: str | None) -> str | None:
    if value is not None and value not in level_codes():
        raise ValueError(f"level_code must be one of {', '.join(level_codes())}")
    return value


class AssessmentFilter(BaseModel):
    """The filters of ``GET /assessments``, read from the query string (unknown parameters are
    ignored). ``id_number`` is looked up by its blind index, which the service computes."""

    region_code: RegionFilter = None
    level_code: Annotated[
        str | None,
        Field(max_length=12, description="intact, mild, moderate, severe or total"),
        AfterValidator(_known_level),
    ] = None
    id_number: IdNumberFilter | None = Field(default=None, description="Exact ID number", repr=False)
    assessed_from: Day | None = Field(default=None, description="Assessed on or after")
    assessed_to: Day | None = Field(default=None, description="Assessed on or before")
    due_before: date | None = Field(
        default=None, description="People whose latest assessment falls due for re-assessment before this day"
    )
    include_superseded: bool = Field(default=False, description="Also list amended originals")


class SubjectRead(BaseModel):
    name: str
    id_number: str = Field(description="Masked unless revealed.")
    sex: str
    age: int = Field(description="Full years on the assessment day.")


class ConditionsRead(BaseModel):
    coma: bool
    dementia: bool
    psychiatric_disorder: bool
    care_risk_events_30d: int


class AssessmentRead(BaseModel):
    id: uuid.UUID
    version: int
    region_code: str
    subject: SubjectRead
    assessed_on: date
    assessor: str
    standard: str
    items: dict[str, int]
    conditions: ConditionsRead
    total_score: int
    dimension_scores: dict[str, int] = Field(
        examples=[{"self_care": 32, "mobility": 15, "mental": 28, "perception_social": 15}]
    )
    base_level: int = Field(description="Level from the total, before level changes.")
    level: int = Field(ge=0, le=4)
    level_code: str = Field(examples=["intact", "mild", "moderate", "severe", "total"])
    level_name: str = Field(examples=["能力完好"])
    adjustments_applied: list[str] = Field(examples=[["mental_disorder"]])
    next_due_on: date
    amends: uuid.UUID | None
    amendment_reason: str
    superseded_by: uuid.UUID | None
    origin: str
    created_at: datetime
    updated_at: datetime


class LevelCounts(BaseModel):
    region_code: str
    name: str
    people: int = Field(description="People whose latest assessment lies in this region.")
    levels: dict[str, int] = Field(
        description="People per level code (every level listed).",
        examples=[{"intact": 5, "mild": 3, "moderate": 2, "severe": 1, "total": 0}],
    )


class AssessmentStats(BaseModel):
    as_of: date
    region: LevelCounts
    children: list[LevelCounts]


class OptionRead(BaseModel):
    score: int
    label: str


class ItemRead(BaseModel):
    code: str
    name: str
    dimension: str
    min: int
    max: int
    options: list[OptionRead]


class DimensionRead(BaseModel):
    code: str
    name: str
    max: int
    items: list[str]


class LevelBandRead(BaseModel):
    level: int
    code: str
    name: str
    min_total: int
    max_total: int


class LevelChangeRead(BaseModel):
    code: str
    description: str
    effect: str = Field(description="`worst`: rated the worst level directly; `raise`: one level up.")


class ScoringStandardRead(BaseModel):
    code: str
    name: str
    default: bool
    effective_from: date
    max_total: int
    reassessment_months: int
    dimensions: list[DimensionRead]
    items: list[ItemRead]
    levels: list[LevelBandRead]
    level_changes: list[LevelChangeRead]
