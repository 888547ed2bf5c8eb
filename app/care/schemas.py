"""Care request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.care.taxonomy import (
    NEED_TYPES,
    PROVIDER_KINDS,
    SOURCES,
    URGENCIES,
    NeedAction,
    NeedType,
    ProviderKind,
    ReferralAction,
    Source,
    Urgency,
    described,
)
from app.core.validators import Day, IdNumber, PersonName, RegionCode

Category = Literal["dibao", "dibao_edge", "tekun", "temporary"]
LevelCode = Literal["intact", "mild", "moderate", "severe", "total"]
LEVELS: dict[str, int] = {"intact": 0, "mild": 1, "moderate": 2, "severe": 3, "total": 4}


def _text(value: str) -> str:
    return value.strip()


def _required_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


# Length limits go before the validators, so pydantic checks them (and refuses text no database
# can store, such as lone surrogates) before the text is stripped.
Label = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_required_text)]
Text50 = Annotated[str, Field(max_length=50), AfterValidator(_text)]
Text100 = Annotated[str, Field(max_length=100), AfterValidator(_text)]
Text500 = Annotated[str, Field(max_length=500), AfterValidator(_text)]
Text1000 = Annotated[str, Field(max_length=1000), AfterValidator(_text)]
Text2000 = Annotated[str, Field(max_length=2000), AfterValidator(_text)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonIn(Strict):
    id_number: IdNumber
    name: PersonName


class VisitPersonIn(Strict):
    id_number: IdNumber
    name: Text50 | None = None


class PersonRead(BaseModel):
    name: str
    id_number: str = Field(description="Masked unless revealed (`?reveal=true`).")


# --- needs ------------------------------------------------------------------------------------


class NeedCreate(Strict):
    region_code: RegionCode = Field(description="The person's region (county, township or village).")
    person: PersonIn
    household_id: uuid.UUID | None = Field(
        default=None, description="The person's assistance household; found from the ID number when left out."
    )
    type: NeedType = Field(description=described(NEED_TYPES))
    description: Text1000 = ""
    urgency: Urgency = Field(default="routine", description=described(URGENCIES))
    source: Source = Field(default="self", description=described(SOURCES))


class NeedUpdate(Strict):
    type: NeedType | None = None
    description: Text1000 | None = None
    urgency: Urgency | None = None
    household_id: uuid.UUID | None = None


class NeedTransitionIn(Strict):
    action: NeedAction = Field(
        description="`decline` 本人拒绝 (the person declines help), `withdraw` 撤回, `reopen` 重新开启."
    )
    note: Text500 = ""


class NeedRead(BaseModel):
    id: uuid.UUID
    version: int
    region_code: str
    person: PersonRead
    household_id: uuid.UUID | None
    type: str
    type_label: str
    description: str
    urgency: str
    urgency_label: str
    source: str
    source_label: str
    status: str
    status_label: str
    status_note: str = Field(description="Why the need was last declined, withdrawn or reopened.")
    opened_on: date
    ended_on: date | None
    visit_id: uuid.UUID | None
    discovery_rule: str | None
    referral_id: uuid.UUID | None = Field(description="The active referral, if any.")
    overdue: bool = Field(description="The active referral is overdue (not accepted or not served in time).")
    overdue_reason: str | None
    origin: str
    created_at: datetime
    updated_at: datetime


class Term(BaseModel):
    code: str
    label: str


class Vocabulary(BaseModel):
    name: str
    items: list[Term]


# --- resources --------------------------------------------------------------------------------


class EligibilityIn(Strict):
    categories: list[Category] | None = Field(
        default=None, max_length=4, description="Household categories served; left out: anyone."
    )
    min_age: Annotated[int, Field(ge=0, le=150)] | None = None
    max_age: Annotated[int, Field(ge=0, le=150)] | None = None
    assessment_levels: list[Annotated[int, Field(ge=0, le=4)] | LevelCode] | None = Field(
        default=None,
        max_length=5,
        description="Latest capability-assessment levels served, 0–4 or their codes (3 or `severe`).",
    )
    disability: bool | None = Field(default=None, description="True: only people with a disability grade.")

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[str] | None) -> list[str] | None:
        return sorted(set(value)) if value else None

    @field_validator("assessment_levels")
    @classmethod
    def _levels(cls, value: list[int | str] | None) -> list[int] | None:
        if not value:
            return None
        return sorted({LEVELS[v] if isinstance(v, str) else v for v in value})

    @model_validator(mode="after")
    def _ages(self) -> EligibilityIn:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age is above max_age")
        return self


class EligibilityRead(BaseModel):
    categories: list[str] | None
    min_age: int | None
    max_age: int | None
    assessment_levels: list[int] | None
    disability: bool | None


def _need_types(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("a need type is listed twice")
    return value


NeedTypes = Annotated[list[NeedType], Field(min_length=1, max_length=10), AfterValidator(_need_types)]


class ResourceCreate(Strict):
    region_code: RegionCode = Field(
        description="The area served: a county's resource serves all its townships."
    )
    name: Label
    provider: Label
    provider_kind: ProviderKind = Field(description=described(PROVIDER_KINDS))
    need_types: NeedTypes = Field(description=described(NEED_TYPES))
    eligibility: EligibilityIn = Field(default_factory=EligibilityIn)
    capacity: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        default=None, description="People served at once; left out: no limit."
    )
    contact: Text100 | None = None
    charity_trust_id: uuid.UUID | None = Field(
        default=None, description="A charity trust funding the service."
    )
    description: Text500 = ""


class ResourceUpdate(Strict):
    name: Label | None = None
    provider: Label | None = None
    provider_kind: ProviderKind | None = None
    need_types: NeedTypes | None = None
    eligibility: EligibilityIn | None = None
    capacity: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    contact: Text100 | None = None
    charity_trust_id: uuid.UUID | None = None
    description: Text500 | None = None
    active: bool | None = Field(default=None, description="False: the resource takes no new referrals.")


class ResourceRead(BaseModel):
    id: uuid.UUID
    version: int
    region_code: str
    name: str
    provider: str
    provider_kind: str
    provider_kind_label: str
    description: str
    need_types: list[str]
    eligibility: EligibilityRead
    capacity: int | None
    in_use: int = Field(description="Places held by active (dispatched or accepted) referrals.")
    free_capacity: int | None = Field(description="Free places; null when there is no limit.")
    contact: str | None
    charity_trust_id: uuid.UUID | None
    active: bool
    origin: str
    created_at: datetime
    updated_at: datetime


class MatchRead(BaseModel):
    resource_id: uuid.UUID
    name: str
    provider: str
    provider_kind: str
    region_code: str
    level: str = Field(description="Level of the area served: township, county, city …")
    distance: int = Field(description="Levels between the person's region and the area served.")
    free_capacity: int | None
    why: list[str] = Field(
        description="Why the resource qualifies: region, need type, capacity, eligibility."
    )
    resource: ResourceRead


class ImportRejection(BaseModel):
    line: int
    reason: str


class ImportReport(BaseModel):
    rows: int
    inserted: int
    rejected: list[ImportRejection]


# --- referrals --------------------------------------------------------------------------------


class ReferralCreate(Strict):
    need_id: uuid.UUID
    resource_id: uuid.UUID
    due_on: Day | None = Field(default=None, description="Serve by this day (today or later).")
    note: Text500 = ""


class ReferralTransitionIn(Strict):
    action: ReferralAction = Field(description="`accept` 接单, `decline` 退单, `serve` 服务, `close` 办结.")
    note: Text1000 = ""
    served_on: Day | None = Field(default=None, description="With `serve`: the day served (default today).")
    outcome: Text1000 | None = Field(
        default=None, description="With `serve`: what the service achieved (required)."
    )


class ReferralRead(BaseModel):
    id: uuid.UUID
    version: int
    region_code: str
    need_id: uuid.UUID
    resource_id: uuid.UUID
    resource_name: str
    status: str
    status_label: str
    note: str
    dispatched_on: date
    accept_by: date = Field(description="Last day to accept: 3 working days after dispatch.")
    due_on: date | None
    accepted_on: date | None
    declined_on: date | None
    served_on: date | None
    outcome: str
    closed_on: date | None
    overdue: bool
    overdue_reason: str | None
    origin: str
    created_at: datetime
    updated_at: datetime


class ReferralEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: str
    from_status: str
    to_status: str
    note: str
    acted_on: date
    actor_sub: str
    actor_name: str
    created_at: datetime


# --- visits -----------------------------------------------------------------------------------


class VisitNeedIn(Strict):
    type: NeedType = Field(description=described(NEED_TYPES))
    description: Text1000 = ""
    urgency: Urgency = "routine"


class VisitCreate(Strict):
    region_code: RegionCode
    person: VisitPersonIn
    visited_on: Day
    visitor: Label
    findings: Text2000 = ""
    needs: list[VisitNeedIn] = Field(default_factory=list, max_length=20)


class VisitRead(BaseModel):
    id: uuid.UUID
    version: int
    region_code: str
    person: PersonRead
    household_id: uuid.UUID | None
    visited_on: date
    visitor: str
    findings: str
    need_ids: list[uuid.UUID]
    origin: str
    created_at: datetime
    updated_at: datetime


class VisitRuleRead(BaseModel):
    code: str
    title_zh: str
    title_en: str
    interval_days: int


class DueVisit(BaseModel):
    member_id: uuid.UUID
    household_id: uuid.UUID
    region_code: str
    person: PersonRead
    rule: str = Field(description="The rule that makes the visit due first.")
    rule_title: str
    interval_days: int
    rules: list[str] = Field(description="Every visit rule the person is under.")
    last_visited_on: date | None
    due_on: date
    overdue: bool
    days_overdue: int


# --- discoveries → needs ----------------------------------------------------------------------


class DiscoveryNeedsIn(Strict):
    region_code: RegionCode | None = Field(default=None, description="Only hits inside this region.")
    type: NeedType | None = Field(default=None, description="Need type; left out, the rule's usual one.")
    urgency: Urgency = "routine"


class DiscoveryNeedsRead(BaseModel):
    rule: str
    month: str
    created: int
    existing: int
    items: list[NeedRead] = Field(description="The needs created by this request.")
