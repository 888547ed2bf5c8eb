"""Region names as free text spells them: official names and their short forms (吴兴区/吴兴,
织里镇/织里, 月河街道/月河, 湖州市/湖州, 浙江省/浙江), built from the region table; other names
from the place-alias table (functional zones such as 湖州开发区, former names such as 武康镇);
and Latin spellings (pinyin: ``Huzhou``, ``Wuxing District``, ``ZHILI TOWN``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

LEVELS = ("province", "city", "county", "township", "village")
_SUFFIXES = {
    "province": ("省", "自治区", "市"),
    "city": ("市", "地区"),
    "county": ("区", "县", "市"),
    "township": ("街道", "镇", "乡"),
    "village": ("社区居委会", "村委会", "居委会"),
}


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class Spelling:
    """One way of writing a region: the text, the region, and whether it is the short form."""

    text: str
    place: Place
    short: bool


def short_name(name: str, level: str) -> str | None:
    """The name without its level suffix, when at least two characters remain."""
    for suffix in _SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def latin_key(text: str) -> str:
    """A Chinese name's pinyin, or a Latin spelling, as one upper-case word: 湖州 → HUZHOU."""
    if text.isascii():
        return "".join(c for c in text.upper() if c.isalpha())
    from pypinyin import lazy_pinyin  # loaded at the first use (see scoring.syllables)

    return "".join(lazy_pinyin(text)).upper()


@dataclass(slots=True)
class Gazetteer:
    places: dict[str, Place] = field(default_factory=dict)
    spellings: dict[str, list[Spelling]] = field(default_factory=dict)
    """Spellings by level, longest text first (so 月河街道 is tried before 月河)."""
    latin: dict[str, Place] = field(default_factory=dict)
    """Pinyin of each region's name and short name (HUZHOU, HUZHOUSHI, WUXING …); where two
    regions share a spelling the higher level keeps it."""

    @classmethod
    def build(cls, places: Iterable[Place], aliases: Iterable[tuple[str, str]] = ()) -> Gazetteer:
        """``aliases`` are (other name, region code) pairs."""
        gaz = cls()
        by_level: dict[str, list[Spelling]] = {level: [] for level in LEVELS}
        for place in places:
            if place.level not in by_level:
                continue
            gaz.places[place.code] = place
            by_level[place.level].append(Spelling(place.name, place, short=False))
            short = short_name(place.name, place.level)
            if short:
                by_level[place.level].append(Spelling(short, place, short=True))
            for text in (place.name, short):
                if text:
                    gaz.latin.setdefault(latin_key(text), place)
        for name, code in aliases:
            target = gaz.places.get(code)
            if target is not None and name:
                by_level[target.level].append(Spelling(name, target, short=False))
        for level, spellings in by_level.items():
            gaz.spellings[level] = sorted(spellings, key=lambda s: (-len(s.text), s.short, s.place.code))
        return gaz

    def get(self, code: str) -> Place | None:
        return self.places.get(code)

    def path(self, code: str) -> list[Place]:
        """The region and its ancestors, province first."""
        out: list[Place] = []
        current = self.places.get(code)
        while current is not None:
            out.append(current)
            current = self.places.get(current.parent_code) if current.parent_code else None
        return list(reversed(out))

    def is_within(self, code: str, ancestor: str) -> bool:
        return any(p.code == ancestor for p in self.path(code))

    def spellings_at(self, text: str, pos: int, level: str) -> list[Spelling]:
        """Spellings of ``level`` regions that ``text`` has at ``pos``, longest first."""
        return [s for s in self.spellings.get(level, []) if text.startswith(s.text, pos)]
