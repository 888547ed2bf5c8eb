"""Policy-standard bodies."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.core.money import format_money, to_decimal
from app.core.validators import normalize_region_code

StandardKind = Literal[
    "dibao_annual",
    "dibao_edge_multiple",
    "orphan_care_annual",
    "severe_disabled_elder_subsidy",
    "tekun_basic_annual",
    "tekun_care_able_monthly",
    "tekun_care_partial_monthly",
    "tekun_care_full_monthly",
    "temporary_grant_cap",
    "disability_living_monthly",
    "disability_nursing_monthly",
]
MONEY_KINDS = frozenset(
    {
        "dibao_annual",
        "orphan_care_annual",
        "severe_disabled_elder_subsidy",
        "tekun_basic_annual",
        "tekun_care_able_monthly",
        "tekun_care_partial_monthly",
        "tekun_care_full_monthly",
        "temporary_grant_cap",
        "disability_living_monthly",
        "disability_nursing_monthly",
    }
)
"""Kinds whose value is yuan. ``tekun_basic_annual`` defaults to 1.3 × ``dibao_annual`` where
not set; ``temporary_grant_cap`` (per grant) to 6 × the monthly dibao standard; the care tiers
and the disability subsidies have no default: a run records ``no_standard`` until the admin
sets them."""


def _decimal_text(value: object) -> str:
    amount = to_decimal(value)
    if amount <= Decimal(0):
        raise ValueError("a standard must be greater than zero")
    return format_money(amount)


DecimalText = Annotated[
    str,
    AfterValidator(_decimal_text),
    Field(pattern=r"^\d{1,12}(\.\d{1,2})?$", examples=["12000.00"]),
]


class StandardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: StandardKind
    region_code: Annotated[str, AfterValidator(normalize_region_code)]
    effective_from: date
    value: DecimalText
    note: str = Field(default="", max_length=200)


class StandardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    region_code: str
    effective_from: date
    value: str
    note: str
    version: int
    origin: str
