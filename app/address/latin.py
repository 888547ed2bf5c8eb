"""Latin letters in free-text addresses: pinyin place names (``Huzhou``, ``Wuxing``, ``ANJI``),
English level words (``City``, ``District``, ``County``), country names and postal labels.

Place names the gazetteer knows become their Chinese names (``HUZHOU CITY`` → 湖州市, ``Zhili
Town`` → 织里镇); the other Latin words of two letters or more are dropped. Single letters stay:
they are parts of numbers (``12A号``, ``A座``, ``B1``).
"""

from __future__ import annotations

import re

from app.address.gazetteer import Gazetteer

LEVEL_WORDS = {
    "PROVINCE": "province",
    "PROV": "province",
    "SHENG": "province",
    "CITY": "city",
    "SHI": "city",
    "DISTRICT": "county",
    "DIST": "county",
    "COUNTY": "county",
    "QU": "county",
    "XIAN": "county",
    "TOWN": "township",
    "TOWNSHIP": "township",
    "ZHEN": "township",
    "STREET": "township",
    "SUBDISTRICT": "township",
    "JIEDAO": "township",
}
DROPPED = {"CHINA", "PRC", "PR", "CN", "ZIP", "POSTCODE", "ADDRESS", "ADDR", "THE", "OF", "AND", "NO"}
_RUN = re.compile(r"[A-Z]{2,}(?:[\s.,'-]+[A-Z]{2,})*")
_WORD = re.compile(r"[A-Z]+")
_BOUNDED_RUN = re.compile(r"(?<![A-Z0-9])" + _RUN.pattern + r"(?![A-Z0-9])")
MAX_WORDS = 4
_INITIALS = re.compile(r"(?<![A-Z0-9])(?:[A-Z]\.\s*)+")
"""Abbreviations written with full stops (P.R. China): never part of a number."""


def _place_name(words: list[str], gaz: Gazetteer) -> tuple[str, int] | None:
    """The Chinese name of the place the leading words spell, and how many words it took."""
    for take in range(min(MAX_WORDS, len(words)), 0, -1):
        place = gaz.latin.get("".join(words[:take]))
        if place is None:
            continue
        used = take
        level_word = words[take] if take < len(words) else ""
        if LEVEL_WORDS.get(level_word):
            used += 1  # "Wuxing District": the level word is part of the name
        return place.name, used
    return None


def _split(word: str, gaz: Gazetteer) -> list[str]:
    """A word of run-together names (ZHEJIANGHUZHOU) as the known names it is made of, longest
    first from the left; the word itself when it is not made of known names only."""
    parts: list[str] = []
    rest = word
    while rest:
        for end in range(len(rest), 1, -1):
            if rest[:end] in gaz.latin or rest[:end] in LEVEL_WORDS:
                parts.append(rest[:end])
                rest = rest[end:]
                break
        else:
            return [word]
    return parts


def _replace_run(run: str, gaz: Gazetteer) -> str:
    words = [part for word in _WORD.findall(run) for part in _split(word, gaz)]
    out: list[str] = []
    i = 0
    while i < len(words):
        found = _place_name(words[i:], gaz)
        if found is not None:
            name, used = found
            out.append(name)
            i += used
            continue
        i += 1  # a level word on its own, a country, a word the gazetteer does not know
    return " " + " ".join(out) + " " if out else " "


def romanized_places(text: str, gaz: Gazetteer) -> tuple[str, bool]:
    """``text`` (half-width, upper-case) with Latin place names in Chinese and other Latin words
    gone; and whether anything Latin was read."""
    out, initials = _INITIALS.subn(" ", text)
    # A run is bounded by non-letters, so 12A号 and A座 are never touched.
    out, runs = _BOUNDED_RUN.subn(lambda m: _replace_run(m.group(0), gaz), out)
    return out, bool(initials or runs)
