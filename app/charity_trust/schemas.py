"""Charity-trust request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
)

from app.charity_trust import deadlines
from app.core import validators
from app.core.money import FenMoney, Money, fen_column
from app.core.validators import RegionCode

TrustStatus = Literal["draft", "filed", "terminated"]
PropertyType = Literal["cash", "equity", "real_estate", "other"]
TrustorKind = Literal["person", "organisation"]
TrusteeKind = Literal["charity_organisation", "trust_company"]
ChangeType = Literal["trustee", "property", "purpose", "other"]
# 《慈善法》 Art. 3: the charitable activities a trust may serve.
PurposeCategory = Literal[
    "poverty_relief",
    "elderly_orphans_sick_disabled",
    "disaster_relief",
    "education",
    "science",
    "culture",
    "health",
    "sports",
    "environment",
    "other",
]

TRUST_NAME_MARK = "慈善信托"


def _trust_name(value: str) -> str:
    value = value.strip()
    if TRUST_NAME_MARK not in value:
        raise ValueError(f"a charity trust's name must contain {TRUST_NAME_MARK}")
    return value


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("a category is listed twice")
    return values


# The identity types normalise at the door (NFKC, no spaces or hyphens, ASCII digits only).
Uscc = validators.Uscc
Phone = validators.Phone
TrustName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_trust_name)]
Text200 = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_text)]
Purpose = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_text)]
Categories = Annotated[list[PurposeCategory], Field(min_length=1, max_length=10), AfterValidator(_unique)]
FilingNumber = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_text)]


class TrustorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200
    kind: TrustorKind
    uscc: Uscc | None = Field(default=None, description="Required for an organisation.")
    publish_consent: bool = Field(default=False, description="May the name be published on 慈善中国?")
    contact: Phone | None = Field(default=None, description="Phone number; kept encrypted, never published.")


class TrusteeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200
    uscc: Uscc
    kind: TrusteeKind
    lead: bool = Field(default=False, description="The lead trustee; exactly one per trust.")


class SupervisorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200
    uscc: Uscc | None = None


class TermIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    perpetual: bool
    end_on: date | None = Field(default=None, description="End of a fixed term, after the signing date.")


def _positive(value: Any) -> Any:
    if isinstance(value, Decimal) and value <= 0:
        raise ValueError("the amount must be greater than 0")
    return value


def _not_negative(value: Any) -> Any:
    if isinstance(value, Decimal) and value < 0:
        raise ValueError("the amount cannot be negative")
    return value


class CharityTrustCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: RegionCode = Field(description="The filing authority: county level or above.")
    name: TrustName
    purpose: Purpose
    purpose_categories: Categories
    trustors: list[TrustorIn] = Field(min_length=1, max_length=200)
    trustees: list[TrusteeIn] = Field(min_length=1, max_length=20)
    supervisor: SupervisorIn | None = None
    custodian_bank: Text200
    property_type: PropertyType
    initial_amount: Money = Field(description="Trust property at setting up, yuan (> 0).")
    signed_on: date
    filed_on: date | None = None
    filing_number: FilingNumber | None = None
    term: TermIn

    @field_validator("initial_amount")
    @classmethod
    def _positive_amount(cls, value: Any) -> Any:
        return _positive(value)


_REQUIRED_ON_UPDATE = (
    "name",
    "purpose",
    "purpose_categories",
    "trustors",
    "trustees",
    "custodian_bank",
    "property_type",
    "initial_amount",
    "signed_on",
    "term",
)


class CharityTrustUpdate(BaseModel):
    """Changes to a draft; give only the fields that change (``supervisor: null`` removes it)."""

    model_config = ConfigDict(extra="forbid")

    name: TrustName | None = None
    purpose: Purpose | None = None
    purpose_categories: Categories | None = None
    trustors: list[TrustorIn] | None = Field(default=None, min_length=1, max_length=200)
    trustees: list[TrusteeIn] | None = Field(default=None, min_length=1, max_length=20)
    supervisor: SupervisorIn | None = None
    custodian_bank: Text200 | None = None
    property_type: PropertyType | None = None
    initial_amount: Money | None = None
    signed_on: date | None = None
    term: TermIn | None = None

    @field_validator(*_REQUIRED_ON_UPDATE)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    @field_validator("initial_amount")
    @classmethod
    def _positive_amount(cls, value: Any) -> Any:
        return _positive(value)


class TrustorRead(BaseModel):
    name: str
    kind: str
    uscc: str | None
    publish_consent: bool
    contact: str | None = Field(
        validation_alias=AliasChoices("contact_masked", "contact"),
        description="Masked unless revealed (`?reveal=true`).",
    )


class TrusteeRead(BaseModel):
    name: str
    uscc: str
    kind: str
    lead: bool

    @field_validator("uscc", mode="before")
    @classmethod
    def _no_code_as_empty(cls, value: Any) -> Any:
        # The column is nullable (it is shared with trustors); a trustee without one reads "".
        return "" if value is None else value


class SupervisorRead(BaseModel):
    name: str
    uscc: str | None


class TermRead(BaseModel):
    perpetual: bool
    end_on: date | None


class CharityTrustRead(BaseModel):
    id: uuid.UUID
    version: int
    region_code: str = Field(description="The filing authority.")
    name: str
    purpose: str
    purpose_categories: list[str]
    trustors: list[TrustorRead]
    trustees: list[TrusteeRead]
    supervisor: SupervisorRead | None
    custodian_bank: str
    property_type: str
    initial_amount: FenMoney = fen_column("initial_amount")
    current_amount: FenMoney = fen_column("current_amount")
    signed_on: date
    term: TermRead
    status: str
    filing_number: str | None
    filed_on: date | None
    filing_due: date = Field(description="Last day to file: 7 days after signing.")
    late_filing: bool
    terminated_on: date | None
    termination_reason: str | None
    termination_reported_on: date | None
    late_termination: bool
    origin: str
    created_at: datetime
    updated_at: datetime


class FilingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filing_number: FilingNumber
    filed_on: date | None = Field(default=None, description="Filing date; today when omitted.")


class ChangeIn(BaseModel):
    """A change filing. ``property`` carries ``amount`` (negative withdraws); ``trustee`` the new
    ``trustees``; ``purpose`` a new ``purpose`` and/or ``purpose_categories``; ``other`` only
    ``details``."""

    model_config = ConfigDict(extra="forbid")

    type: ChangeType
    effective_on: date
    filed_on: date | None = Field(default=None, description="Date the change is filed; today when omitted.")
    details: str = Field(default="", max_length=2000)
    amount: Money | None = None
    trustees: list[TrusteeIn] | None = Field(default=None, min_length=1, max_length=20)
    purpose: Purpose | None = None
    purpose_categories: Categories | None = None


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    trust_id: uuid.UUID
    version: int
    type: str = Field(validation_alias=AliasChoices("change_type", "type"))
    effective_on: date
    filed_on: date
    late: bool
    details: str = Field(validation_alias=AliasChoices("description", "details"))
    amount: FenMoney | None = fen_column("amount")
    amount_after: FenMoney | None = fen_column(
        "amount_after", description="Trust property after a property change."
    )
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime

    @computed_field(description="Last day to file: 7 days after the change took effect.")  # type: ignore[prop-decorator]
    @property
    def due_on(self) -> date:
        return deadlines.change_due(self.effective_on)


class AnnualReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1900, le=2999)
    income: Money
    expenditure: Money
    charitable_spending: Money = Field(description="Part of the expenditure spent on the purpose.")
    fees: Money = Field(description="Management and custody fees (part of the expenditure).")
    year_end_balance: Money
    submitted_on: date | None = Field(default=None, description="Submission date; today when omitted.")
    note: str = Field(default="", max_length=2000)

    @field_validator("income", "expenditure", "charitable_spending", "fees", "year_end_balance")
    @classmethod
    def _not_negative_amounts(cls, value: Any) -> Any:
        return _not_negative(value)


class AnnualReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    trust_id: uuid.UUID
    version: int
    year: int
    income: FenMoney = fen_column("income")
    expenditure: FenMoney = fen_column("expenditure")
    charitable_spending: FenMoney = fen_column("charitable_spending")
    fees: FenMoney = fen_column("fees")
    year_end_balance: FenMoney = fen_column("year_end_balance")
    submitted_on: date
    late: bool
    note: str
    created_at: datetime

    @computed_field(description="30 April of the following year (this service's deadline).")  # type: ignore[prop-decorator]
    @property
    def due_on(self) -> date:
        return deadlines.report_due(self.year)


class TerminationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terminated_on: date
    reason: Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_text)]
    reported_on: date | None = Field(
        default=None, description="Date the termination is reported; today when omitted."
    )
