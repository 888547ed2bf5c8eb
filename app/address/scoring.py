"""How well a register entry fits a parsed text: a score in [0, 1] and the components that
agreed.

Each component the text or the entry has contributes its weight:

- both have it — equal scores 1 (it *agreed*); for names a close spelling scores its
  similarity (short forms, a wrong character), below 0.5 it scores 0 (it *differed*);
- only the text has it — 0 (the entry is less specific than the text);
- only the entry has it — 0 at a reduced weight (the text may simply have left it out, but an
  entry without it fits better: ``人民路5号`` prefers the house to a room in it);
- the region agrees when one code lies inside the other; a text without region says nothing.

The score is the weighted share of agreement. An entry's aliases are scored the same way and
the best reading counts. Names are compared by characters and by sound: a homophone (千秋接 for
千秋街, 连花庄路 for 莲花庄路) has the same pinyin (:mod:`pypinyin`), and near spellings are
measured by edit distance over the pinyin (:mod:`rapidfuzz`).

From the score come the candidate's *kind* and *confidence* (:func:`judge`): ``exact`` only
when everything the text gives is the entry's own and the entry has nothing more; ``fuzzy`` when
a place name agreed only by similarity; ``component`` otherwise. A house number, village group,
building, unit or room that the text gives and the entry contradicts — or a county other than
the entry's — names another address: the confidence is then held below :data:`MATCHED_AT`, so
such a text is never answered as a match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

from app.address.normalize import implied_floor
from app.security.scope import region_prefix

WEIGHTS = {
    "region": 1.5,
    "community": 0.5,
    "village": 2.0,
    "village_group": 1.0,
    "road": 2.0,
    "house_number": 2.0,
    "compound": 2.0,
    "building": 1.5,
    "unit": 1.0,
    "floor": 0.5,
    "room": 1.5,
}
WHEN_TEXT_LACKS = {
    "village_group": 0.6,
    "road": 0.3,
    "compound": 0.3,
    "house_number": 0.6,
    "building": 0.8,
    "unit": 0.8,
    "room": 0.8,
}
NAMES = ("community", "village", "road", "compound")
NUMBERS = ("village_group", "house_number", "building", "unit", "room")
PLACE_NAMES = ("village", "road", "compound")
MATCHED_AT = 0.8
"""A candidate at or above this confidence answers the text (``matched``)."""
CONTRADICTED = 0.6
"""The highest confidence of an entry that contradicts a number the text gives."""
HOMOPHONE = 0.95
REARRANGED = 0.9
"""The highest likeness of two different names by their characters: the same characters in
another order (二环东路, 东二环路; 凤凰一二路, 凤凰二一路) are alike, not the same name."""
Kind = Literal["exact", "component", "fuzzy"]
REGION_WEIGHT_BY_DEPTH = {12: 1.5, 9: 1.5, 6: 1.0}


@dataclass(frozen=True, slots=True)
class Reading:
    """Components as a text or an entry gives them (empty string when absent)."""

    region_code: str = ""
    community: str = ""
    village: str = ""
    village_group: str = ""
    road: str = ""
    compound: str = ""
    house_number: str = ""
    building: str = ""
    unit: str = ""
    floor: str = ""
    room: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    value: float
    agreed: list[str] = field(default_factory=list)
    differed: list[str] = field(default_factory=list)
    similar: list[str] = field(default_factory=list)
    """Place names that agreed by similarity only (not as written)."""
    lacking: list[str] = field(default_factory=list)
    """Components the entry has and the text does not give."""
    contradicted: list[str] = field(default_factory=list)
    """Numbers both give, with different values (another house, building or room)."""


@lru_cache(maxsize=65_536)
def syllables(name: str) -> tuple[str, ...]:
    """The pinyin of each character, without tones: 千秋街 → (qian, qiu, jie). (pypinyin's
    dictionaries take tens of MiB: loaded at the first use, not by processes that never
    match.)"""
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(name))


def sound(name: str) -> str:
    """The pinyin of a name as one word: 千秋街 → qianqiujie."""
    return "".join(syllables(name))


def heard_alike(a: str, b: str) -> float:
    """How alike two names of the same length sound, syllable by syllable (0 when they differ
    in length or sound less than three-quarters alike): 1 for homophones, less for near
    sounds (lian/nian, zhuang/zhang)."""
    sa, sb = syllables(a), syllables(b)
    if len(sa) != len(sb) or not sa:
        return 0.0
    alike = sum(fuzz.ratio(x, y) for x, y in zip(sa, sb, strict=True)) / (100 * len(sa))
    return alike if alike >= 0.75 else 0.0


GENERIC_ENDINGS = (
    "社区", "大道", "大街", "小区", "花园", "公寓", "新村", "家园", "嘉园", "新苑", "公馆", "山庄",
    "广场", "大厦", "路", "街", "巷", "弄", "苑", "园", "府", "庭", "城", "湾", "里", "坊", "居",
    "邸", "院", "村",
)  # fmt: skip


def _stems(a: str, b: str) -> tuple[str, str]:
    """Both names without the generic ending they share (御景新村, 吉祥新村 → 御景, 吉祥): a
    shared 新村 or 路 says nothing about whether two names are the same."""
    for ending in GENERIC_ENDINGS:
        if a.endswith(ending) and b.endswith(ending) and len(a) > len(ending) and len(b) > len(ending):
            return a[: -len(ending)], b[: -len(ending)]
    return a, b


def name_similarity(a: str, b: str) -> float:
    """1 for equal names; 0.95 for homophones; 0.8 when one contains the other; otherwise the
    best of character and bigram Dice coefficients and 0.9 × how alike they sound, at most
    :data:`REARRANGED`."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    heard = heard_alike(a, b)
    if heard == 1.0:
        return HOMOPHONE
    if (a in b or b in a) and min(len(a), len(b)) >= 2:
        return 0.8
    sa, sb = _stems(a, b)
    chars = 2 * len(set(sa) & set(sb)) / (len(set(sa)) + len(set(sb)))
    ga = {sa[i : i + 2] for i in range(len(sa) - 1)}
    gb = {sb[i : i + 2] for i in range(len(sb) - 1)}
    grams = 2 * len(ga & gb) / (len(ga) + len(gb)) if ga and gb else 0.0
    return min(max(chars, grams, 0.9 * heard_alike(sa, sb)), REARRANGED)


def _regions_agree(text_code: str, entry_code: str) -> bool:
    a, b = region_prefix(text_code), region_prefix(entry_code)
    return a.startswith(b) or b.startswith(a)


def _floor(reading: Reading) -> str:
    return reading.floor or implied_floor(reading.room)


def score(text: Reading, entry: Reading) -> Score:
    total = 0.0
    got = 0.0
    agreed: list[str] = []
    differed: list[str] = []
    similar_names: list[str] = []
    lacking: list[str] = []
    contradicted: list[str] = []

    if text.region_code:
        weight = REGION_WEIGHT_BY_DEPTH.get(len(region_prefix(text.region_code)), 0.0)
        if weight:
            total += weight
            if _regions_agree(text.region_code, entry.region_code):
                got += weight
                agreed.append("region")
            else:
                differed.append("region")
                if text.region_code[:6] != entry.region_code[:6] and text.region_code[4:6] != "00":
                    contradicted.append("region")  # another county: another address

    for name in (*NAMES, *NUMBERS):
        mine, theirs = getattr(text, name), getattr(entry, name)
        if not mine and not theirs:
            continue
        weight = WEIGHTS[name]
        if not mine:
            total += weight * WHEN_TEXT_LACKS.get(name, 0.0)
            if name in NUMBERS or name in PLACE_NAMES:
                lacking.append(name)
            continue
        total += weight
        if not theirs:
            differed.append(name)
            continue
        similar = name_similarity(mine, theirs) if name in NAMES else float(mine == theirs)
        if similar >= 0.5:
            got += weight * similar
        if similar == 1.0:
            agreed.append(name)
        elif similar < 0.5:
            differed.append(name)
            if name in NUMBERS:
                contradicted.append(name)
        elif name in PLACE_NAMES:
            similar_names.append(name)

    if text.floor:
        total += WEIGHTS["floor"]
        if text.floor == _floor(entry):
            got += WEIGHTS["floor"]
            agreed.append("floor")
        else:
            differed.append("floor")

    value = got / total if total else 0.0
    return Score(round(min(max(value, 0.0), 1.0), 4), agreed, differed, similar_names, lacking, contradicted)


def judge(text: Reading, score: Score) -> tuple[Kind, float]:
    """The candidate's kind and confidence (see the module docstring)."""
    confidence = score.value
    if score.contradicted:
        confidence = min(confidence, CONTRADICTED)
    if not any(getattr(text, name) for name in PLACE_NAMES):
        confidence = min(confidence, CONTRADICTED)  # no road, compound or village: not an address
    if score.similar:
        return "fuzzy", confidence
    if score.value == 1.0 and not score.lacking and not score.differed:
        return "exact", confidence
    return "component", confidence


def best_score(text: Reading, readings: Iterable[Reading]) -> Score:
    """The best score over an entry's readings (its components, then its aliases)."""
    best = Score(0.0)
    for reading in readings:
        current = score(text, reading)
        if current.value > best.value:
            best = current
    return best
