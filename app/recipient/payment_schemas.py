"""Payment bodies: runs, payments, grants, skips and totals."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.money import FenMoney, Money, fen_column
from app.core.validators import RegionCode

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
PaymentKind = Literal[
    "dibao",
    "tekun_basic",
    "tekun_care",
    "disability_living",
    "disability_nursing",
    "emergency",
    "expenditure",
]
GrantKind = Literal["emergency", "expenditure"]


class PaymentRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: RegionCode
    month: str = Field(
        pattern=MONTH_PATTERN, examples=["2026-11"], description="The current or a past month."
    )

    @field_validator("month")
    @classmethod
    def _in_range(cls, value: str) -> str:
        if not 1900 <= int(value[:4]) <= 2199:
            raise ValueError("month must lie between 1900-01 and 2199-12")
        return value


class PaymentRunRead(BaseModel):
    id: uuid.UUID
    region_code: str
    month: str
    payment_count: int
    total: FenMoney = fen_column("total")
    skipped_count: int
    skipped_by_reason: dict[str, int] = Field(description="Skips counted by reason code.")
    totals_by_kind: dict[str, FenMoney] = Field(description="Amount paid by payment kind.")
    created_at: datetime
    version: int


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    run_id: uuid.UUID | None = Field(description="The payment run; empty for a temporary-assistance grant.")
    household_id: uuid.UUID
    member_id: uuid.UUID | None = Field(description="Set for per-member payments (tekun, disability).")
    region_code: str
    month: str
    category: str = Field(description="The household's category when paid.")
    kind: str = Field(
        description="dibao, tekun_basic, tekun_care, disability_living, disability_nursing (monthly); "
        "emergency, expenditure (temporary-assistance grants)"
    )
    amount: FenMoney = fen_column("amount")
    member_count: int
    reason: str | None
    created_at: datetime


class PaymentSkipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    run_id: uuid.UUID
    household_id: uuid.UUID
    member_id: uuid.UUID | None
    region_code: str
    kind: str
    reason_code: str
    reason: str


class GrantCreate(BaseModel):
    """A temporary-assistance grant (临时救助): emergency (急难型) or expenditure (支出型)."""

    model_config = ConfigDict(extra="forbid")

    amount: Money = Field(
        description="Yuan, above zero; above the county's cap needs the admin role and a reason."
    )
    kind: GrantKind
    reason: str = Field(default="", max_length=500)

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: object) -> object:
        if isinstance(value, Decimal) and value <= 0:
            raise ValueError("a grant must be more than 0.00")
        return value

    @field_validator("reason")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class PaymentTotal(BaseModel):
    month: str
    kind: str
    category: str
    payments: int
    amount: Money


class PaymentStats(BaseModel):
    region_code: str
    month_from: str | None
    month_to: str | None
    items: list[PaymentTotal]
    payments: int
    amount: Money
