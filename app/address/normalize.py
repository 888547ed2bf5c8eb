"""Text normalisation shared by the register, the parser and search.

Every address text — a component on its way into the register, an alias, a search query, a
free-text address to parse — goes through the same steps, so that equal addresses compare
equal however they were typed:

1. NFKC: full-width digits, letters and punctuation become half-width (``１２３`` → ``123``).
2. Chinese numerals before a number marker become digits: ``三单元`` → ``3单元``, ``十二幢`` →
   ``12幢``, ``一百零三号`` → ``103号``, ``三零一室`` → ``301室`` (read digit by digit when no
   十/百/千 appears). Numerals elsewhere are part of a name and stay (``八里店``, ``二环路``).
3. Markers take one spelling: ``栋``, ``号楼``, ``栋楼``, ``幢楼``, ``座`` and ``#`` after a
   number → ``幢``; ``楼`` or ``F`` between a number and a room or at the end → ``层``;
   ``房``/``号房`` → ``室``; ``队``/``小组``/``村民小组``/``生产队`` → ``组``; ``第`` before a
   number is dropped.
4. Spaces and punctuation go, except ``-`` inside numbers (``123-1号``, ``3-2-301``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NUMERAL_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NUMERAL_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL_CHARS = "".join(_NUMERAL_DIGITS) + "".join(_NUMERAL_UNITS)

MARKERS = ("号", "幢", "栋", "座", "单元", "单", "层", "楼", "室", "房", "弄", "组", "队", "小组", "#", "-")
_MARKER_AHEAD = "|".join(re.escape(m) for m in MARKERS)
_NUMERAL_RUN = re.compile(rf"(?:第)?([{_NUMERAL_CHARS}]+)(?={_MARKER_AHEAD})")
# A room at the end of the text with no marker of its own, after another number's marker:
# 十二楼一二零一, 三单元六零一.
_NUMERAL_TAIL = re.compile(rf"(?<=[楼层元幢])([{_NUMERAL_CHARS}]+)$")
_DIGIT_ORDINAL = re.compile(rf"第(?=[0-9]+(?:{_MARKER_AHEAD}))")

_DASHES = re.compile(r"[‐‑‒–—―−﹣－~～]")
_BUILDING = re.compile(r"(?<=[0-9A-Z])(?:号楼|栋楼|幢楼|座楼|栋|座|#楼|#)")
_ROOM = re.compile(r"(?<=[0-9])(?:号房|房间|房)")
_FLOOR = re.compile(r"(?<=[0-9])(?:楼|F)(?=[0-9]|$)")
_GROUP = re.compile(r"(?<=[0-9])(?:村民小组|小组|生产队|队)")
_UNIT_SHORT = re.compile(r"(?<=[0-9])单(?=[0-9])")
_DROP = re.compile(r"[^\w\-]|_")


def chinese_numeral_value(text: str) -> int | None:
    """The integer a run of Chinese numerals spells, or None when it is not a number.

    ``十二`` → 12, ``二十`` → 20, ``一百零三`` → 103, ``三零一`` → 301 (digit by digit).
    """
    if not text or any(c not in _NUMERAL_DIGITS and c not in _NUMERAL_UNITS for c in text):
        return None
    if all(c in _NUMERAL_DIGITS for c in text):
        return int("".join(str(_NUMERAL_DIGITS[c]) for c in text))
    total = 0
    current: int | None = None
    last_unit = 10_000
    for char in text:
        if char in _NUMERAL_DIGITS:
            current = _NUMERAL_DIGITS[char]
            continue
        unit = _NUMERAL_UNITS[char]
        if unit >= last_unit:
            return None  # 十百 and similar are not numbers
        total += (1 if current is None else current) * unit
        current = None
        last_unit = unit
    return total + (current or 0)


def _numerals_to_digits(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        value = chinese_numeral_value(match.group(1))
        return match.group(0) if value is None else str(value)

    return _NUMERAL_TAIL.sub(replace, _NUMERAL_RUN.sub(replace, text))


def halfwidth(text: str) -> str:
    """Full-width forms to half-width (NFKC), upper-case Latin letters."""
    return unicodedata.normalize("NFKC", text).upper()


@lru_cache(maxsize=65_536)
def normalize_text(text: str) -> str:
    """The canonical spelling of an address text (see the module docstring). Memoised: bulk
    imports repeat the same names and numbers millions of times."""
    out = _DASHES.sub("-", halfwidth(text))
    out = _DIGIT_ORDINAL.sub("", _numerals_to_digits(out))
    out = _BUILDING.sub("幢", out)
    out = _ROOM.sub("室", out)
    out = _DIGIT_ORDINAL.sub("", _GROUP.sub("组", out))
    out = _UNIT_SHORT.sub("单元", out)
    out = _DROP.sub("", out)
    out = _FLOOR.sub("层", out)
    return out.strip("-")


def normalize_name(value: str) -> str:
    """A place name (community, road, compound): canonical text, nothing else removed."""
    return normalize_text(value)


_NUMBER_SUFFIX = re.compile(r"(?:号|幢|单元|层|室|弄|组)$")


@lru_cache(maxsize=65_536)
def normalize_number(value: str) -> str:
    """A house number, building, unit, floor or room: canonical digits without the marker.

    ``１２３号`` → ``123``, ``三单元`` → ``3``, ``A座`` → ``A``, ``03`` → ``3``, ``123-1号`` →
    ``123-1``.
    """
    text = normalize_text(value)
    if not re.search(r"[0-9A-Z]", text):
        number = chinese_numeral_value(text.removeprefix("第").rstrip("号幢单元层室组"))
        if number is not None:
            return str(number)
    text = _NUMBER_SUFFIX.sub("", text)
    parts = [p.lstrip("0") or "0" if p.isdigit() else p for p in text.split("-")]
    return "-".join(parts)


NUMBER_PATTERN = re.compile(r"^[0-9A-Z]{1,8}(?:-[0-9A-Z]{1,6}){0,2}$")
"""What a normalised house number, building, unit, floor or room may look like."""


def implied_floor(room: str) -> str:
    """The floor a room number carries (``301`` → ``3``, ``1203`` → ``12``), or ``""``."""
    if room.isdigit() and 3 <= len(room) <= 4:
        return str(int(room[:-2]))
    return ""
