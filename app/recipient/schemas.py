"""Recipient request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, TypedDict

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from app.core import validators
from app.core.money import Money
from app.core.validators import PersonName, RegionCode
from app.recipient.tekun import SELF_CARE_ITEMS, SelfCareItem, Tier

Category = Literal["dibao", "dibao_edge", "tekun", "temporary"]
Relation = Literal["head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other"]
Subsidy = Literal["disability_living", "disability_nursing", "elderly_care"]
StatusName = Literal["applied", "verified", "approved", "suspended", "exited", "rejected"]
RuleName = Literal[
    "disability_living_subsidy_missing",
    "disability_nursing_subsidy_missing",
    "elderly_care_missing",
    "elderly_assessment_missing",
    "household_death_review",
    "tekun_assessment_missing",
]
ActionName = Literal["verify", "approve", "suspend", "resume", "exit", "reject", "review"]
SupportMode = Literal["home", "institution"]

# The identity types normalise at the door (NFKC, no spaces or hyphens, ASCII digits only).
IdNumber = validators.IdNumber
Phone = validators.Phone


class SelfCareIn(BaseModel):
    """A self-care assessment (生活自理能力评估, 《特困人员认定办法》 民发〔2021〕43号 art. 12)."""

    model_config = ConfigDict(extra="forbid")

    assessed_on: date = Field(description="Day of the assessment (not after today).")
    unable: list[SelfCareItem] = Field(
        default_factory=list,
        max_length=6,
        description="The items the member cannot do: eating 自主吃饭, dressing 自主穿衣, bed_transfer "
        "自主上下床, toileting 自主如厕, indoor_walking 室内自主行走, bathing 自主洗澡. None → able; "
        "1–3 → partial; 4 or more → full.",
    )

    @field_validator("unable")
    @classmethod
    def _unique_items(cls, value: list[SelfCareItem]) -> list[SelfCareItem]:
        if len(set(value)) != len(value):
            raise ValueError("an item is listed twice")
        return [item for item in SELF_CARE_ITEMS if item in value]


class SelfCareRead(BaseModel):
    assessed_on: date
    unable: list[str]
    tier: Tier = Field(description="able 具备生活自理能力, partial 部分丧失, full 完全丧失 (art. 12).")


class SelfCareDocument(TypedDict):
    assessed_on: date
    unable: list[str]
    tier: Tier


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    id_number: IdNumber
    relation: Relation
    phone: Phone | None = None
    disability_grade: Annotated[int, Field(ge=1, le=4)] | None = None
    subsidies: list[Subsidy] = Field(default_factory=list, max_length=3)
    living_alone: bool = Field(default=False, description="Lives alone (独居).")
    parents_absent: bool = Field(
        default=False,
        description="For a child: both parents absent (父母双方缺位: dead, missing, in prison …).",
    )
    self_care: SelfCareIn | None = Field(
        default=None,
        description="The self-care assessment of a member under 60: a tekun member's care-allowance "
        "tier under 60 (from 60, the GB/T 42195-2022 capability assessment places the member). "
        "Omitted or null: none recorded.",
    )

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name must not be blank")
        return value

    @field_validator("subsidies")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a subsidy is listed twice")
        return sorted(value)


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: RegionCode
    category: Category
    members: list[MemberIn] = Field(min_length=1, max_length=20)
    monthly_income: Money = Field(description="Household total monthly income, yuan (≥ 0).")
    address_id: uuid.UUID | None = None
    address_text: str | None = Field(default=None, max_length=200)
    support_mode: SupportMode | None = Field(
        default=None, description="Tekun households: `home` 分散供养 or `institution` 集中供养."
    )

    @field_validator("monthly_income")
    @classmethod
    def _not_negative(cls, value: object) -> object:
        if isinstance(value, Decimal) and value < 0:
            raise ValueError("monthly income cannot be negative")
        return value


class HouseholdUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category | None = None
    members: list[MemberIn] | None = Field(default=None, min_length=1, max_length=20)
    monthly_income: Money | None = None
    address_id: uuid.UUID | None = None
    address_text: str | None = Field(default=None, max_length=200)
    support_mode: SupportMode | None = Field(
        default=None, description="Tekun households: `home` 分散供养 or `institution` 集中供养."
    )

    @field_validator("monthly_income")
    @classmethod
    def _not_negative(cls, value: object) -> object:
        if isinstance(value, Decimal) and value < 0:
            raise ValueError("monthly income cannot be negative")
        return value


class MemberRead(BaseModel):
    id: uuid.UUID
    name: str
    relation: str
    id_number: str = Field(description="Masked unless revealed (`?reveal=true`).")
    phone: str | None
    sex: str
    age: int
    disability_grade: int | None
    subsidies: list[str]
    living_alone: bool
    parents_absent: bool
    self_care: SelfCareRead | None = Field(
        description="The recorded self-care assessment (used for the tekun care tier under 60)."
    )


class HouseholdRead(BaseModel):
    id: uuid.UUID
    version: int
    region_code: str
    category: str
    status: str
    monthly_income: Money
    member_count: int
    per_capita_income: Money
    address_id: uuid.UUID | None
    address_text: str | None
    support_mode: str | None
    applied_on: date
    approved_on: date | None
    last_reviewed_on: date | None
    exited_on: date | None
    origin: str
    created_at: datetime
    updated_at: datetime
    members: list[MemberRead]


class MemberDocument(TypedDict):
    """A :class:`MemberRead` as plain values, the same fields in the same order: reads build
    these and serialise them straight to JSON bytes (``app.core.documents``)."""

    id: uuid.UUID
    name: str
    relation: str
    id_number: str
    phone: str | None
    sex: str
    age: int
    disability_grade: int | None
    subsidies: list[str]
    living_alone: bool
    parents_absent: bool
    self_care: SelfCareDocument | None


class HouseholdDocument(TypedDict):
    """A :class:`HouseholdRead` as plain values (money as ``Decimal`` quantised to the fen)."""

    id: uuid.UUID
    version: int
    region_code: str
    category: str
    status: str
    monthly_income: Decimal
    member_count: int
    per_capita_income: Decimal
    address_id: uuid.UUID | None
    address_text: str | None
    support_mode: str | None
    applied_on: date
    approved_on: date | None
    last_reviewed_on: date | None
    exited_on: date | None
    origin: str
    created_at: datetime
    updated_at: datetime
    members: list[MemberDocument]


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ActionName
    reason: str = Field(default="", max_length=500)


class TransitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: str
    from_status: str
    to_status: str
    reason: str
    actor_sub: str
    actor_name: str
    created_at: datetime


class EligibilityRead(BaseModel):
    on: date
    category: str
    members_counted: int = Field(description="Living members on the first day of the month of `on`.")
    annual_standard: Money | None
    monthly_standard: Money | None = Field(description="Annual standard / 12, rounded half-up, once.")
    household_standard: Money | None = Field(description="Monthly standard × members counted.")
    per_capita_income: Money = Field(description="Shown for information; never used for money.")
    eligible: bool | None
    monthly_benefit: Money
    rule: str


class DuplicateMember(BaseModel):
    id_number: str
    households: list[uuid.UUID]
    regions: list[str]


class DuplicateCaseRead(BaseModel):
    """A refused registration of a person already registered outside the caller's scope."""

    ref: str
    created_at: datetime
    scope_region: str = Field(description="The common parent region: who may read this case.")
    requested_region: str = Field(description="Region of the household whose registration was refused.")
    requested_by: str = Field(description="Who asked (token subject).")
    member_index: int = Field(description="Position of the person among the refused household's members.")
    household_id: uuid.UUID = Field(description="The active household that already holds the person.")
    existing_region: str
    household_status: str | None
    id_number: str | None = Field(description="The person's ID number, masked.")


class Discovery(BaseModel):
    rule: str
    title: str
    household_id: uuid.UUID
    region_code: str
    member_id: uuid.UUID
    member_name: str
    id_number: str
    reason: str


class ImportRejection(BaseModel):
    line: int
    household_key: str
    reason: str


class ImportReport(BaseModel):
    rows: int
    households_inserted: int
    members_inserted: int
    rejected: list[ImportRejection]


SubsidyKind = Literal["disability_living", "disability_nursing"]
SubsidyAction = Literal["verify", "approve", "suspend", "resume", "exit", "reject"]


class SubsidyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SubsidyKind
    reason: str = Field(default="", max_length=500)


class SubsidyTransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: SubsidyAction
    reason: str = Field(default="", max_length=500)


class SubsidyRead(BaseModel):
    id: uuid.UUID
    version: int
    household_id: uuid.UUID
    member_id: uuid.UUID
    region_code: str
    kind: str
    status: str
    applied_on: date
    approved_on: date | None
    exited_on: date | None
    created_at: datetime
    updated_at: datetime


class DeathCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_number: IdNumber
    died_on: date = Field(
        validation_alias=AliasChoices("died_on", "date_of_death"),
        description="Date of death (also accepted as `date_of_death`).",
    )
    source: str = Field(
        min_length=1,
        max_length=100,
        description="Where the notice came from: civil_registration, public_security, funeral, …",
        examples=["public_security"],
    )
    note: str = Field(default="", max_length=200)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("source must not be blank")
        return value


class DeathMatch(BaseModel):
    household_id: uuid.UUID
    member_id: uuid.UUID
    region_code: str
    relation: str
    household_status: str
    review: bool = Field(description="The head or only member died: the household is flagged for review.")


class DeathRead(BaseModel):
    id: uuid.UUID
    version: int
    region_code: str
    id_number: str = Field(description="Masked unless revealed.")
    died_on: date
    source: str
    note: str
    created_at: datetime
    matches: list[DeathMatch] = Field(description="Members of active households in your scope.")


class DeathImportRejection(BaseModel):
    line: int
    reason: str


class DeathImportReport(BaseModel):
    rows: int
    inserted: int
    rejected: list[DeathImportRejection]
