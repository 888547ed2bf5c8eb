"""What the filing authority publishes about a charity trust on 慈善中国: no contacts, and a
person's name only with their consent."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import AliasChoices, BaseModel, Field

from app.charity_trust.schemas import SupervisorRead, TermRead, TrusteeRead
from app.core.money import FenMoney, fen_column


class RegionName(BaseModel):
    code: str
    name: str


class PublicTrustor(BaseModel):
    name: str = Field(description="匿名委托人 for a person who did not consent to publication.")
    kind: str


class PublicChange(BaseModel):
    type: str = Field(validation_alias=AliasChoices("change_type", "type"))
    effective_on: date
    filed_on: date
    amount: FenMoney | None = fen_column("amount")


class PublicAnnualReport(BaseModel):
    year: int
    income: FenMoney = fen_column("income")
    expenditure: FenMoney = fen_column("expenditure")
    charitable_spending: FenMoney = fen_column("charitable_spending")
    fees: FenMoney = fen_column("fees")
    year_end_balance: FenMoney = fen_column("year_end_balance")
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
    initial_amount: FenMoney = fen_column("initial_amount")
    current_amount: FenMoney = fen_column("current_amount")
    signed_on: date
    term: TermRead
    status: str
    terminated_on: date | None
    termination_reason: str | None
    changes: list[PublicChange]
    annual_reports: list[PublicAnnualReport]
