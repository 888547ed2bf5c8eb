"""What the filing authority publishes about a charity trust on 慈善中国: no contacts, and a
person's name only with their consent."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from app.charity_trust.schemas import SupervisorRead, TermRead, TrusteeRead
from app.core.money import Money


class RegionName(BaseModel):
    code: str
    name: str


class PublicTrustor(BaseModel):
    name: str = Field(description="匿名委托人 for a person who did not consent to publication.")
    kind: str


class PublicChange(BaseModel):
    type: str
    effective_on: date
    filed_on: date
    amount: Money | None


class PublicAnnualReport(BaseModel):
    year: int
    income: Money
    expenditure: Money
    charitable_spending: Money
    fees: Money
    year_end_balance: Money
    submitted_on: date


class CharityTrustPublic(BaseModel):
    """What the filing authority publishes on 慈善中国 (no contacts, consented names only)."""

    id: uuid.UUID
    name: str
    filing_authority: RegionName
    filing_number: str | None
    filed_on: date | None
    purpose: str
    purpose_categories: list[str]
    trustors: list[PublicTrustor]
    trustees: list[TrusteeRead]
    supervisor: SupervisorRead | None
    custodian_bank: str
    property_type: str
    initial_amount: Money
    current_amount: Money
    signed_on: date
    term: TermRead
    status: str
    terminated_on: date | None
    termination_reason: str | None
    changes: list[PublicChange]
    annual_reports: list[PublicAnnualReport]
