"""Eligibility and the monthly benefit (《社会救助暂行办法》; DOMAIN.md "Social assistance").

Money is computed on the household, in whole fen, with one rounding:

- the monthly standard is the annual standard / 12, rounded half-up to the fen, once;
- dibao: eligible when the household's monthly income is below ``monthly standard × members``
  (compared exactly); the benefit is ``monthly standard × members − household income``.
  Both sides are whole fen already, so the benefit needs no further rounding. Per-capita
  income is shown for information and never enters the money: rounding it per person first
  drifts by fen (3 members at 1,000.00 would get 2,000.01 instead of 2,000.00);
- dibao_edge: eligible below ``multiple × monthly standard × members`` (exact), no cash benefit;
- tekun: decided by investigation, not an income test; each member is paid the basic living
  standard (see :mod:`app.recipient.tekun`), the care allowance comes on top by assessment;
- temporary: one-off grants, no monthly benefit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.core.money import from_fen, round_fen, to_fen

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Eligibility:
    annual_standard: Decimal | None
    monthly_standard: Decimal | None
    household_standard: Decimal | None
    per_capita_income: Decimal
    eligible: bool | None
    monthly_benefit: Decimal
    rule: str


def per_capita(monthly_income: Decimal, members: int) -> Decimal:
    """Income per person, for display only (never used for money)."""
    return round_fen(monthly_income / members) if members else monthly_income


def monthly(annual: Decimal) -> Decimal:
    """The monthly standard: annual / 12, rounded half-up to the fen, once."""
    return round_fen(annual / 12)


def dibao_benefit_fen(monthly_standard_fen: int, members: int, income_fen: int) -> int | None:
    """The household's monthly dibao in fen, or None when not eligible (income not below
    ``standard × members``)."""
    threshold = monthly_standard_fen * members
    return threshold - income_fen if members > 0 and income_fen < threshold else None


def edge_eligible(monthly_standard_fen: int, members: int, income_fen: int, multiple: Decimal) -> bool:
    return members > 0 and Decimal(income_fen) < Decimal(monthly_standard_fen) * members * multiple


def assess(
    category: str,
    monthly_income: Decimal,
    members: int,
    annual_standard: Decimal | None,
    edge_multiple: Decimal | None,
    tekun_monthly: Decimal | None = None,
) -> Eligibility:
    income = per_capita(monthly_income, members)
    if annual_standard is None:
        return Eligibility(
            None, None, None, income, None, ZERO, "no dibao standard is in force for this region"
        )
    standard = monthly(annual_standard)
    standard_fen, income_fen = to_fen(standard), to_fen(monthly_income)
    household_standard = from_fen(standard_fen * members)
    if category == "dibao":
        benefit = dibao_benefit_fen(standard_fen, members, income_fen)
        return Eligibility(
            annual_standard,
            standard,
            household_standard,
            income,
            benefit is not None,
            from_fen(benefit or 0),
            "dibao: household monthly income below monthly standard × members; benefit = "
            "monthly standard × members − household monthly income (in fen, on the household)",
        )
    if category == "dibao_edge":
        if edge_multiple is None:
            return Eligibility(
                annual_standard,
                standard,
                household_standard,
                income,
                None,
                ZERO,
                "no dibao-edge multiple is in force for this region",
            )
        return Eligibility(
            annual_standard,
            standard,
            household_standard,
            income,
            edge_eligible(standard_fen, members, income_fen, edge_multiple),
            ZERO,
            f"dibao_edge: household monthly income below {edge_multiple} × monthly standard × members "
            f"({round_fen(Decimal(standard_fen * members) * edge_multiple / 100)}); no cash benefit",
        )
    if category == "tekun" and tekun_monthly is not None:
        return Eligibility(
            annual_standard,
            standard,
            household_standard,
            income,
            None,
            from_fen(to_fen(tekun_monthly) * members),
            f"tekun: decided by investigation; basic living standard {tekun_monthly} a month per member "
            "(the care allowance by assessment comes on top)",
        )
    return Eligibility(
        annual_standard,
        standard,
        household_standard,
        income,
        None,
        ZERO,
        f"{category}: decided by investigation, not by an income test; no computed monthly benefit",
    )
