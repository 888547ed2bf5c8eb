"""Charity-trust tables: the trust, its parties (trustors and trustees), change filings and
annual reports. Every row carries the filing authority's region code, so scope and sync follow
the trust."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord
from app.core.types import JSONDocument


class CharityTrust(SyncRecord, table=True):
    __tablename__ = "charity_trust"
    __table_args__ = (
        UniqueConstraint("region_code", "filing_number"),
        Index("ix_charity_trust_status_filed_on", "status", "filed_on"),
    )

    name: str = Field(max_length=200, index=True)
    purpose: str = Field(max_length=2000)
    purpose_categories: list[str] = Field(
        default_factory=list, sa_column=Column(JSONDocument, nullable=False)
    )
    supervisor_name: str | None = Field(default=None, max_length=200)
    supervisor_uscc: str | None = Field(default=None, max_length=18)
    custodian_bank: str = Field(max_length=200)
    property_type: str = Field(max_length=20)
    initial_amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    current_amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    signed_on: date
    perpetual: bool = False
    end_on: date | None = None
    status: str = Field(default="draft", max_length=20)
    filing_number: str | None = Field(default=None, max_length=100)
    filed_on: date | None = None
    late_filing: bool = False
    terminated_on: date | None = None
    termination_reason: str | None = Field(default=None, max_length=1000)
    termination_reported_on: date | None = None
    late_termination: bool = False


class TrustParty(SyncRecord, table=True):
    """A trustor (委托人) or trustee (受托人) of a trust, in the order the filing lists them."""

    __tablename__ = "charity_trust_party"

    trust_id: uuid.UUID = Field(sa_column=Column(ForeignKey("charity_trust.id"), nullable=False, index=True))
    role: str = Field(max_length=10)
    position: int = 0
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    uscc: str | None = Field(default=None, max_length=18, index=True)
    publish_consent: bool = False
    lead: bool = False
    contact_enc: str | None = Field(default=None, max_length=200)
    contact_masked: str | None = Field(default=None, max_length=20)


class TrustChange(SyncRecord, table=True):
    """A change filing (变更备案): what changed, when it took effect, when it was filed."""

    __tablename__ = "charity_trust_change"

    trust_id: uuid.UUID = Field(sa_column=Column(ForeignKey("charity_trust.id"), nullable=False, index=True))
    change_type: str = Field(max_length=20)
    effective_on: date
    filed_on: date
    late: bool = False
    description: str = Field(default="", max_length=2000)
    amount_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    amount_after_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument, nullable=True))


class TrustAnnualReport(SyncRecord, table=True):
    """The trustee's yearly report on the trust's affairs and finances."""

    __tablename__ = "charity_trust_annual_report"
    __table_args__ = (UniqueConstraint("trust_id", "year"),)

    trust_id: uuid.UUID = Field(sa_column=Column(ForeignKey("charity_trust.id"), nullable=False, index=True))
    year: int
    income_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    expenditure_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    charitable_spending_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    fees_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    year_end_balance_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    submitted_on: date
    late: bool = False
    note: str = Field(default="", max_length=2000)


_COMMON = {
    "trust_id": "the charity trust",
    "region_code": "filing authority (civil affairs, county or above)",
}


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="charity_trust",
        resource="charity_trust",
        model=CharityTrust,
        kind="business",
        title_zh="慈善信托",
        title_en="Charity trusts",
        description="Charity trusts filed with a civil-affairs department (慈善法 Art. 45-50).",
        field_notes={
            "region_code": "filing authority: civil-affairs department of county level or above",
            "name": "trust name (contains 慈善信托)",
            "purpose": "charitable purpose",
            "purpose_categories": "purpose categories (JSON list)",
            "supervisor_name": "supervisor (监察人), if any",
            "supervisor_uscc": "supervisor's unified social credit code, if an organisation",
            "custodian_bank": "custodian bank (资金保管银行)",
            "property_type": "cash, equity, real_estate or other",
            "initial_amount_fen": "trust property at setting up, in fen",
            "current_amount_fen": "trust property after every property change, in fen",
            "signed_on": "date the trust documents were signed",
            "perpetual": "true when the trust has no fixed term",
            "end_on": "end of a fixed term",
            "status": "draft, filed or terminated",
            "filing_number": "filing number given by the authority (unique per authority)",
            "filed_on": "filing date",
            "late_filing": "filed more than 7 days after signing",
            "terminated_on": "date the trust terminated",
            "termination_reason": "reason for termination",
            "termination_reported_on": "date the termination was reported to the authority",
            "late_termination": "termination reported more than 15 days after it happened",
        },
        order=50,
    ),
    EntitySpec(
        name="charity_trust_party",
        resource="charity_trust",
        personal_fields=("name",),
        model=TrustParty,
        kind="business",
        title_zh="慈善信托当事人",
        title_en="Charity trust parties",
        pii_fields=("contact_enc",),
        pii_kinds={"contact_enc": "phone"},
        description="Trustors (委托人) and trustees (受托人) of charity trusts.",
        field_notes={
            **_COMMON,
            "role": "trustor or trustee",
            "position": "order in the filing",
            "name": "name of the person or organisation",
            "kind": "trustor: person or organisation; trustee: charity_organisation or trust_company",
            "uscc": "unified social credit code (organisations)",
            "publish_consent": "trustor agrees to have the name published",
            "lead": "the lead trustee (exactly one per trust)",
            "contact_enc": "trustor's phone number (encrypted)",
            "contact_masked": "masked phone number",
        },
        order=51,
    ),
    EntitySpec(
        name="charity_trust_change",
        resource="charity_trust",
        model=TrustChange,
        kind="business",
        title_zh="慈善信托变更备案",
        title_en="Charity trust change filings",
        description="Change filings of filed trusts: trustee, property, purpose or other changes.",
        field_notes={
            **_COMMON,
            "change_type": "trustee, property, purpose or other",
            "effective_on": "date the change took effect",
            "filed_on": "date the change was filed",
            "late": "filed more than 7 days after it took effect",
            "description": "what changed",
            "amount_fen": "property added (negative: withdrawn), in fen",
            "amount_after_fen": "trust property after the change, in fen",
            "before": "the changed items before (JSON)",
            "after": "the changed items after (JSON)",
        },
        order=52,
    ),
    EntitySpec(
        name="charity_trust_annual_report",
        resource="charity_trust",
        model=TrustAnnualReport,
        kind="business",
        title_zh="慈善信托年度报告",
        title_en="Charity trust annual reports",
        description="Yearly reports of trustees on trust affairs and finances (one per trust and year).",
        field_notes={
            **_COMMON,
            "year": "the year reported on",
            "income_fen": "income in the year, in fen",
            "expenditure_fen": "total expenditure in the year, in fen",
            "charitable_spending_fen": "spending on the charitable purpose, in fen",
            "fees_fen": "management and custody fees, in fen",
            "year_end_balance_fen": "trust property at year end, in fen",
            "submitted_on": "date the report was submitted",
            "late": "submitted after 30 April of the following year",
            "note": "remarks",
        },
        order=53,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
