"""Eligibility and the monthly benefit (《社会救助暂行办法》; DOMAIN.md "Social assistance").

dibao: eligible when per-capita monthly income is below the monthly standard; the monthly
benefit is (monthly standard − per-capita income) × members, exact to the fen. dibao_edge:
eligible below the configured multiple of the standard, no cash benefit. tekun and temporary
are decided by investigation, not by an income test, and have no computed monthly benefit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.core.money import round_fen

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Eligibility:
    annual_standard: Decimal | None
    monthly_standard: Decimal | None
    per_capita_income: Decimal
    eligible: bool | None
    monthly_benefit: Decimal
    rule: str


def per_capita(monthly_income: Decimal, members: int) -> Decimal:
    return round_fen(monthly_income / members) if members else monthly_income


def monthly(annual: Decimal) -> Decimal:
    return round_fen(annual / 12)


def assess(
    category: str,
    monthly_income: Decimal,
    members: int,
    annual_standard: Decimal | None,
    edge_multiple: Decimal | None,
) -> Eligibility:
    income = per_capita(monthly_income, members)
    if annual_standard is None:
        return Eligibility(None, None, income, None, ZERO, "no dibao standard is in force for this region")
    standard = monthly(annual_standard)
    if category == "dibao":
        eligible = income < standard
        benefit = (standard - income) * members if eligible else ZERO
        return Eligibility(
            annual_standard,
            standard,
            income,
            eligible,
            round_fen(benefit),
            "dibao: per-capita monthly income below the monthly standard; benefit = "
            "(standard − per-capita income) × members",
        )
    if category == "dibao_edge":
        if edge_multiple is None:
            return Eligibility(
                annual_standard,
                standard,
                income,
                None,
                ZERO,
                "no dibao-edge multiple is in force for this region",
            )
        limit = round_fen(standard * edge_multiple)
        return Eligibility(
            annual_standard,
            standard,
            income,
            income < limit,
            ZERO,
            f"dibao_edge: per-capita monthly income below {edge_multiple} × the monthly standard "
            f"({limit}); no cash benefit",
        )
    return Eligibility(
        annual_standard,
        standard,
        income,
        None,
        ZERO,
        f"{category}: decided by investigation, not by an income test; no computed monthly benefit",
    )
