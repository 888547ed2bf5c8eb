"""Rule-based parsing of free-text addresses into standard components, each with a confidence.

Steps: strip the noise (:mod:`app.address.noise`), read Latin place names
(:mod:`app.address.latin`), normalise (:mod:`app.address.normalize`),
read region names from the left against the region table (full or short names, any level may
be missing; other names of regions — 湖州开发区, 武康镇 — come from the place-alias table), then
read community or village (with its group, 3组), road and house number, compound, building,
unit, floor and room with patterns. Missing region levels are filled in from the most specific one found.

Confidences: 1.0 an official region name; 0.9 a short name or a component with its marker
(``3幢``); 0.8 a region level inferred from a lower one; 0.7–0.8 numbers read from a compact
form (``3-2-301``) or without a marker; 0.5 a compound recognised only by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.address.gazetteer import LEVELS, Gazetteer, Place
from app.address.latin import romanized_places
from app.address.noise import strip_noise
from app.address.normalize import normalize_text

COMPONENTS = (
    "province",
    "city",
    "county",
    "township",
    "region_code",
    "community",
    "village_group",
    "road",
    "house_number",
    "compound",
    "building",
    "unit",
    "floor",
    "room",
)

_NAME = r"[^\W\d_号幢室层路街巷弄]"
ROAD_SUFFIX = r"(?:大道|大街|路|街(?!道)|巷|弄)"
_COMPOUND_LONG = r"小区|花园|公寓|新村|家园|嘉园|新苑|公馆|山庄|广场|大厦"
_COMPOUND_SHORT = r"苑|园|府|庭|城|湾|里|坊|居|邸|院"
COMPOUND_SUFFIX = rf"(?:{_COMPOUND_LONG}|{_COMPOUND_SHORT})"
COMMUNITY_SUFFIX = r"(?:社区居委会|社区|居委会|村委会|(?<!新)村(?![0-9]))"
# After a short region name: 织里路, 月河小区, 月河新苑, 凤凰苑 are names of their own, while
# 洪桥蓝湾小区 is 洪桥 + 蓝湾小区 (a one-character suffix counts only right after the name).
_PLACE_AHEAD = re.compile(rf"(?:{_NAME}?(?:{ROAD_SUFFIX}|{_COMPOUND_LONG}|社区|村)|{_COMPOUND_SHORT})")

# Community names may hold road words (东街社区, 马军巷社区): the suffix decides.
COMMUNITY = re.compile(rf"[^\W\d_号幢室层]{{1,8}}?{COMMUNITY_SUFFIX}")
# A village with its group and house number: 西山村3组12号, 东阳村12号 (新村 is a compound).
VILLAGE = re.compile(r"([^\W\d_号幢室层路街巷]{1,6}?(?<!新)村)(?:民委员会|委会)?(?=[0-9]|$)")
GROUP = re.compile(r"([0-9]+)组")
ROAD = re.compile(rf"{_NAME}{{1,10}}{ROAD_SUFFIX}")
COMPOUND = re.compile(rf"{_NAME}{{1,12}}{COMPOUND_SUFFIX}")
HOUSE = re.compile(r"([0-9]+[A-Z]?(?:-[0-9]+)?)号")
BARE_HOUSE = re.compile(r"([0-9]+(?:-[0-9]+)?)(?![0-9\-幢单层室])")
COMPACT3 = re.compile(r"([0-9A-Z]+)-([0-9]+)-([0-9]+)室?")
COMPACT2 = re.compile(r"([0-9A-Z]+)-([0-9]{3,4})室?")
UNIT_ROOM = re.compile(r"([0-9]{1,2})-([0-9]{3,4})室?")
BUILDING = re.compile(r"([0-9A-Z]+(?:-[0-9]+)?)幢")
UNIT = re.compile(r"([0-9]+)单元")
FLOOR = re.compile(r"(-?[0-9]+)层")
ROOM = re.compile(r"([0-9A-Z]+(?:-[0-9]+)?)室")
BARE_ROOM = re.compile(r"([0-9]{2,5})$")
_CJK_RUN = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, slots=True)
class Component:
    value: str
    confidence: float


@dataclass(slots=True)
class ParsedAddress:
    text: str
    normalized: str
    components: dict[str, Component] = field(default_factory=dict)
    unparsed: str = ""
    removed: list[str] = field(default_factory=list)
    local: str = ""
    """The normalised text after the region names."""

    def value(self, name: str) -> str:
        found = self.components.get(name)
        return found.value if found else ""

    def has(self, name: str) -> bool:
        return name in self.components

    def set(self, name: str, value: str, confidence: float) -> None:
        if value:
            self.components[name] = Component(value, round(confidence, 2))


def parse(text: str, gazetteer: Gazetteer) -> ParsedAddress:
    cleaned = strip_noise(text, lambda inner: names_regions(normalize_text(inner), gazetteer))
    latin_free, romanized = romanized_places(cleaned.text, gazetteer)
    normalized = normalize_text(latin_free)
    removed = [*cleaned.removed, *(["latin"] if romanized else [])]
    found, pos = _read_regions(normalized, gazetteer)
    # bracketed region names (人民路12号(月河街道)) count as if written before the road
    hints = "".join(normalize_text(region) for region in cleaned.regions)
    if hints:
        found, _end = _read_regions(hints, gazetteer, found)
        normalized = normalized[:pos] + hints + normalized[pos:]
        pos += len(hints)
    parsed = ParsedAddress(text=text, normalized=normalized, removed=removed)
    _fill_regions(parsed, found, gazetteer)
    parsed.local = normalized[pos:]
    parsed.unparsed = _read_rest(parsed.local, parsed, gazetteer)
    return parsed


def names_regions(text: str, gaz: Gazetteer) -> bool:
    """Whether ``text`` is names of regions above the village and nothing else (月河街道,
    吴兴区月河, 雉城, 武康镇). (A community or village name is read as part of the address.)"""
    found, pos = _read_regions(text, gaz)
    return bool(found) and pos == len(text) and "village" not in found


def _read_regions(
    text: str, gaz: Gazetteer, before: dict[str, tuple[Place, float]] | None = None
) -> tuple[dict[str, tuple[Place, float]], int]:
    """Region names at the start of ``text``, in any order of levels, each at most once; at
    each position the longest spelling wins (南浔镇 over 南浔). ``before`` holds regions read
    earlier: a name here that contradicts one of them replaces it."""
    found: dict[str, tuple[Place, float]] = dict(before or {})
    read: set[str] = set()
    pos = 0
    while pos < len(text):
        options = []
        for level in LEVELS:
            if level in read:
                continue
            for spelling in gaz.spellings_at(text, pos, level):
                end = pos + len(spelling.text)
                if spelling.short and _PLACE_AHEAD.match(text, end) and not COMMUNITY.match(text, end):
                    continue  # 月河小区, 织里路: a name that begins with the region's short name
                options.append(spelling)
                break
        if not options:
            break
        best = max(options, key=lambda s: (len(s.text), not s.short, -LEVELS.index(s.place.level)))
        for other, (place, _conf) in list(found.items()):
            if not gaz.is_within(best.place.code, place.code) and not gaz.is_within(
                place.code, best.place.code
            ):
                del found[other]  # a contradiction: keep the later name
        found[best.place.level] = (best.place, 0.9 if best.short else 1.0)
        read.add(best.place.level)
        pos += len(best.text)
    return found, pos


def _fill_regions(parsed: ParsedAddress, found: dict[str, tuple[Place, float]], gaz: Gazetteer) -> None:
    deepest = max(found.values(), key=lambda f: LEVELS.index(f[0].level), default=None)
    if deepest is None:
        return
    place, confidence = deepest
    for ancestor in gaz.path(place.code):
        own = found.get(ancestor.level)
        conf = own[1] if own and own[0].code == ancestor.code else 0.8
        name = "community" if ancestor.level == "village" else ancestor.level
        parsed.set(name, ancestor.name, conf)
    parsed.set("region_code", place.code, confidence)


def _trailing_regions(runs: list[str], parsed: ParsedAddress, gaz: Gazetteer) -> list[str]:
    """Region names written after the address (西山村3组12号 妙西, 劳动路155号 吴兴区): read
    when the text began with none; the runs without them."""
    if parsed.has("region_code"):
        return runs
    kept: list[str] = []
    for run in runs:
        found, pos = _read_regions(run, gaz)
        if found and pos == len(run) and not parsed.has("region_code"):
            _fill_regions(parsed, found, gaz)
            continue
        kept.append(run)
    return kept


def _read_rest(rest: str, parsed: ParsedAddress, gaz: Gazetteer) -> str:
    """Community, road, compound and the numbers, left to right; returns what was not read."""
    leftover: list[str] = []
    runs: list[str] = []
    i = 0
    while i < len(rest):
        end = _read_one(rest, i, parsed)
        if end is None:
            leftover.append(rest[i])
            i += 1
            continue
        if leftover:
            runs.append("".join(leftover))
            leftover = []
        i = end
    if leftover:
        runs.append("".join(leftover))
    runs = _trailing_regions(runs, parsed, gaz)
    if not parsed.has("compound"):
        names = [m.group(0) for run in runs for m in _CJK_RUN.finditer(run)]
        if names and (parsed.has("building") or parsed.has("room") or not parsed.has("road")):
            best = max(names, key=len)
            # A house number (号) goes on a road: 千秋接12号 is a road misspelt, not a compound.
            as_road = not parsed.has("road") and not parsed.has("community") and parsed.has("house_number")
            parsed.set("road" if as_road else "compound", best, 0.5)
            runs = [r.replace(best, "", 1) for r in runs]
    return "".join(runs)


def _read_one(rest: str, i: int, parsed: ParsedAddress) -> int | None:
    """Read one component at ``i``; the end of what was read, or None."""
    if not parsed.has("community") and not parsed.has("road") and (m := VILLAGE.match(rest, i)):
        parsed.set("community", m.group(1), 0.9)
        if group := GROUP.match(rest, m.end()):
            parsed.set("village_group", group.group(1), 0.9)
            return group.end()
        return m.end()
    if not parsed.has("community") and not parsed.has("road") and (m := COMMUNITY.match(rest, i)):
        parsed.set("community", m.group(0), 0.9)
        return m.end()
    if not parsed.has("road") and (m := ROAD.match(rest, i)):
        house = HOUSE.match(rest, m.end())
        parsed.set("road", m.group(0), 0.95 if house else 0.85)
        if house and not parsed.has("house_number"):
            parsed.set("house_number", house.group(1), 0.95)
            return house.end()
        bare = BARE_HOUSE.match(rest, m.end())
        if bare and not parsed.has("house_number"):
            parsed.set("house_number", bare.group(1), 0.7)
            return bare.end()
        return m.end()
    if not parsed.has("compound") and (m := COMPOUND.match(rest, i)):
        parsed.set("compound", m.group(0), 0.9)
        return m.end()
    return _read_number(rest, i, parsed)


def _read_number(rest: str, i: int, parsed: ParsedAddress) -> int | None:
    if not parsed.has("house_number") and not parsed.has("building") and (m := HOUSE.match(rest, i)):
        parsed.set("house_number", m.group(1), 0.9)
        return m.end()
    if not parsed.has("building") and (m := COMPACT3.match(rest, i)):
        parsed.set("building", m.group(1), 0.75)
        parsed.set("unit", m.group(2), 0.75)
        parsed.set("room", m.group(3), 0.75)
        return m.end()
    if not parsed.has("building") and (m := BUILDING.match(rest, i)):
        parsed.set("building", m.group(1), 0.95)
        return m.end()
    if not parsed.has("unit") and (m := UNIT.match(rest, i)):
        parsed.set("unit", m.group(1), 0.95)
        return m.end()
    if not parsed.has("floor") and (m := FLOOR.match(rest, i)):
        parsed.set("floor", m.group(1), 0.9)
        return m.end()
    if not parsed.has("room") and (m := ROOM.match(rest, i)):
        parsed.set("room", m.group(1), 0.9)
        return m.end()
    if parsed.has("building") and not parsed.has("unit") and (m := UNIT_ROOM.match(rest, i)):
        parsed.set("unit", m.group(1), 0.75)
        parsed.set("room", m.group(2), 0.75)
        return m.end()
    if (
        not parsed.has("building")
        and (parsed.has("compound") or parsed.has("house_number"))
        and (m := COMPACT2.match(rest, i))
    ):
        parsed.set("building", m.group(1), 0.7)
        parsed.set("room", m.group(2), 0.7)
        return m.end()
    if not parsed.has("room") and (m := BARE_ROOM.match(rest, i)):
        if parsed.has("road") and not parsed.has("house_number") and not parsed.has("compound"):
            parsed.set("house_number", m.group(1), 0.7)
        else:
            parsed.set("room", m.group(1), 0.8 if parsed.has("unit") or parsed.has("floor") else 0.6)
        return m.end()
    return None
