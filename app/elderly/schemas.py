"""The elderly profile's body: a person's assessments, household and benefits."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.assessment.schemas import AssessmentRead
from app.recipient.schemas import HouseholdRead


class Benefits(BaseModel):
    household_category: str
    household_status: str
    disability_grade: int | None
    subsidies: list[str]


class ElderlyProfile(BaseModel):
    id_number: str
    name: str | None
    sex: str
    birth_date: date
    age: int
    latest: AssessmentRead | None
    history: list[AssessmentRead] = Field(description="Every assessment in scope, newest first.")
    household: HouseholdRead | None
    benefits: Benefits | None
