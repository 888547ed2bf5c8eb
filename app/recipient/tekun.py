"""Tekun support (特困人员救助供养): the basic living standard and the care-allowance tiers.

Sources:

- 《国务院关于进一步健全特困人员救助供养制度的意见》(国发〔2016〕14号), 三(二): the support
  standard has two parts, the basic living standard (基本生活标准) and the care standard
  (照料护理标准); the basic living standard is set by the province or city, and where it is
  not set separately it is *not lower than 1.3 times the local dibao standard*
  (不低于当地低保标准的1.3倍) — the default here. The care standard is set in tiers by the
  person's self-care ability (生活自理能力).
- 《特困人员认定办法》(民发〔2021〕43号) 第十二条: self-care ability falls in three tiers —
  able to care for oneself (具备生活自理能力), partly unable (部分丧失), fully unable
  (完全丧失).

This service reads a person's ability from the latest capability assessment
(GB/T 42195-2022, five levels) and maps it to the three tiers:

    level 0 能力完好 (intact)                     → able     全自理
    level 1 轻度失能, level 2 中度失能 (mild, moderate) → partial  部分丧失 / 半失能
    level 3 重度失能, level 4 完全失能 (severe, total)  → full     完全丧失 / 全失能

Each tier's monthly allowance is a dated, per-region standard the admin sets
(``tekun_care_able_monthly``, ``tekun_care_partial_monthly``, ``tekun_care_full_monthly``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from app.core.money import round_fen

Tier = Literal["able", "partial", "full"]

BASIC_MULTIPLE = Decimal("1.3")
"""Default basic living standard: 1.3 × the dibao standard (国发〔2016〕14号)."""

TIER_OF_LEVEL_CODE: dict[str, Tier] = {
    "intact": "able",
    "mild": "partial",
    "moderate": "partial",
    "severe": "full",
    "total": "full",
}
CARE_STANDARD: dict[Tier, str] = {
    "able": "tekun_care_able_monthly",
    "partial": "tekun_care_partial_monthly",
    "full": "tekun_care_full_monthly",
}
TIER_NAME: dict[Tier, str] = {"able": "全自理", "partial": "半失能", "full": "全失能"}


def basic_monthly(dibao_annual: Decimal | None, tekun_annual: Decimal | None) -> Decimal | None:
    """The monthly basic living standard, rounded half-up to the fen once: the county's own
    annual tekun standard / 12, or else 1.3 × the annual dibao standard / 12."""
    if tekun_annual is not None:
        return round_fen(tekun_annual / 12)
    if dibao_annual is not None:
        return round_fen(dibao_annual * BASIC_MULTIPLE / 12)
    return None


def tier_of(level_code: str) -> Tier | None:
    return TIER_OF_LEVEL_CODE.get(level_code)
