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

A member aged 60 or over is placed by the latest capability assessment (GB/T 42195-2022, five
levels; the standard assesses people of 60 and over), mapped to the three tiers:

    level 0 能力完好 (intact)                     → able     全自理
    level 1 轻度失能, level 2 中度失能 (mild, moderate) → partial  部分丧失 / 半失能
    level 3 重度失能, level 4 完全失能 (severe, total)  → full     完全丧失 / 全失能

A member under 60 (a disabled adult, an orphaned child) is placed by the self-care assessment
of art. 12, recorded on the member: six items — eating (自主吃饭), dressing (自主穿衣), getting in
and out of bed (自主上下床), toileting (自主如厕), walking indoors (室内自主行走), bathing (自主洗澡).
All six done → able (具备生活自理能力); 3 items or fewer not done (含3项) → partial (部分丧失);
4 or more not done (含4项) → full (完全丧失).

Either assessment places the member for 12 months: the GB/T assessment until its re-assessment
falls due (``next_due_on``, 12 months), the self-care record while it was made within the last
12 months (:func:`self_care_current`, the same condition as the quality rule's SQL).

Each tier's monthly allowance is a dated, per-region standard the admin sets
(``tekun_care_able_monthly``, ``tekun_care_partial_monthly``, ``tekun_care_full_monthly``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import Literal

from app.core.calendar import months_before
from app.core.money import round_fen

Tier = Literal["able", "partial", "full"]
SelfCareItem = Literal["eating", "dressing", "bed_transfer", "toileting", "indoor_walking", "bathing"]

SELF_CARE_ITEMS: tuple[SelfCareItem, ...] = (
    "eating",
    "dressing",
    "bed_transfer",
    "toileting",
    "indoor_walking",
    "bathing",
)
"""The six self-care items of 民发〔2021〕43号 art. 12, in the order the article lists them."""
SELF_CARE_AGE = 60
"""Below this age the self-care record places a member; from it, the GB/T 42195 assessment."""
SELF_CARE_VALID_MONTHS = 12
PARTIAL_MAX_UNABLE = 3
"""Up to and including 3 items not done: partial (部分丧失); 4 or more: full (完全丧失)."""

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


def tier_of_self_care(unable: Collection[str]) -> Tier:
    """The tier of a self-care assessment from the items the member cannot do (art. 12)."""
    count = len(set(unable))
    if count == 0:
        return "able"
    return "partial" if count <= PARTIAL_MAX_UNABLE else "full"


def self_care_current(assessed_on: date | None, day: date) -> bool:
    """A self-care record places the member on ``day``: made within the last 12 months."""
    return assessed_on is not None and assessed_on > months_before(day, SELF_CARE_VALID_MONTHS)


def parse_unable(stored: str) -> list[SelfCareItem]:
    """The stored items (comma-separated), in the article's order."""
    listed = set(stored.split(","))
    return [item for item in SELF_CARE_ITEMS if item in listed]
