"""Matching free text against the register: parse, gather candidates, score, rank.

Candidates come in rounds; the scoring (:mod:`app.address.scoring`) is the same for all of
them and on both engines.

1. *Exact look-ups* on the parsed road, compound or village with the parsed numbers, dropping
   the deepest number until something answers (a text with a wrong or missing room still finds
   the building). Plain equality queries: the same rows on PostgreSQL and SQLite.
2. When no candidate is good enough, the *search index* is asked (pg_trgm on PostgreSQL, FTS5
   on SQLite): the place names as substrings (which also finds old names kept as aliases),
   then with any one character wrong, then trigram similarity. What the index finds may differ
   between the engines.
3. Then, on both engines alike, the *component fallback*: the register's place names nearest
   to the parsed ones by pinyin and by characters (:mod:`app.address.names` — 千秋接 finds
   千秋街), and the addresses with the parsed house number in the parsed region (road, house
   number, region). So a text naming a road and house number that exist always reaches that
   address, whatever the index did.
4. The register's own spelling of the places found is looked up exactly with the parsed
   numbers.

Ranking: confidence, then score, then the entry with fewer numbers (the house before its
rooms), then the standard name — never the storage order, so both engines rank alike.

Ambiguity: when the first candidate would answer the text and one or more others have the same
confidence and score (湖州人民路12号, where three townships each have a 人民路12号), the text
does not say which address it names. The tied candidates are all listed (beyond ``limit`` if
need be, up to :data:`SHOWN_AT_MOST`), marked ``tied``, none of them ``exact``, and every
candidate's confidence is held at :data:`AMBIGUOUS`, below the threshold: the text is not
answered. The ranking decides nothing between equals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from app.address.gazetteer import Gazetteer
from app.address.models import Address
from app.address.names import place_names
from app.address.parser import ParsedAddress, parse
from app.address.scoring import MATCHED_AT, Kind, Reading, Score, best_score, judge
from app.address.search import AddressSearch
from app.security.scope import region_prefix

GOOD_ENOUGH = 0.9
NUMBERS = ("village_group", "house_number", "building", "unit", "room")
PLACES = (
    ("road", ("house_number", "building", "unit", "room")),
    ("compound", ("building", "unit", "room")),
    ("village", ("village_group", "house_number", "building", "unit", "room")),
    ("village", ("house_number", "building", "unit", "room")),
)
EXPAND_FROM = 5
NEAREST = 5
BY_NUMBER_LIMIT = 100
AMBIGUOUS = 0.7
"""The highest confidence of any candidate when several fit the text equally well."""
SHOWN_AT_MOST = 20


@dataclass(frozen=True, slots=True)
class Ranked:
    address: Address
    score: Score
    kind: Kind
    confidence: float
    tied: bool = False
    """One of several candidates that fit the text equally well (the text is ambiguous)."""


def reading_of(parsed: ParsedAddress, region_code: str = "") -> Reading:
    road, compound, community = parsed.value("road"), parsed.value("compound"), parsed.value("community")
    return Reading(
        region_code=parsed.value("region_code") or region_code,
        community=community,
        village=community if community and not road and not compound else "",
        village_group=parsed.value("village_group"),
        road=road,
        compound=compound,
        house_number=parsed.value("house_number"),
        building=parsed.value("building"),
        unit=parsed.value("unit"),
        floor=parsed.value("floor"),
        room=parsed.value("room"),
    )


def entry_reading(address: Address) -> Reading:
    return Reading(
        region_code=address.region_code,
        community=address.community,
        village=address.village,
        village_group=address.village_group,
        road=address.road,
        compound=address.compound,
        house_number=address.house_number,
        building=address.building,
        unit=address.unit,
        floor=address.floor,
        room=address.room,
    )


def _extra(address: Address) -> int:
    return sum(1 for name in NUMBERS if getattr(address, name))


def is_matched(ranked: list[Ranked]) -> bool:
    return bool(ranked) and ranked[0].confidence >= MATCHED_AT


def is_ambiguous(ranked: list[Ranked]) -> bool:
    return bool(ranked) and ranked[0].tied


def settle_ties(ranked: list[Ranked]) -> list[Ranked]:
    """``ranked`` with a tie at the top that would answer the text resolved as no answer: the
    tied candidates marked, none ``exact``, every confidence held at :data:`AMBIGUOUS`."""
    if len(ranked) < 2 or ranked[0].confidence < MATCHED_AT:
        return ranked
    top = (ranked[0].confidence, ranked[0].score.value)
    if (ranked[1].confidence, ranked[1].score.value) != top:
        return ranked
    out: list[Ranked] = []
    for r in ranked:
        tied = (r.confidence, r.score.value) == top
        kind: Kind = "component" if tied and r.kind == "exact" else r.kind
        out.append(replace(r, kind=kind, confidence=min(r.confidence, AMBIGUOUS), tied=tied))
    return out


def _shown(ranked: list[Ranked], limit: int) -> list[Ranked]:
    """The first ``limit`` candidates, and every tied one."""
    tied = sum(1 for r in ranked if r.tied)
    return ranked[: min(max(limit, tied), SHOWN_AT_MOST)]


class Matcher:
    def __init__(self, session: AsyncSession, gazetteer: Gazetteer, scope: str) -> None:
        self.search = AddressSearch(session)
        self.gazetteer = gazetteer
        self.scope = scope
        self._aliases: dict[tuple[str, str], Reading] = {}

    def readings(self, address: Address) -> list[Reading]:
        out = [entry_reading(address)]
        for alias in address.aliases:
            key = (alias, address.region_code)
            if key not in self._aliases:
                self._aliases[key] = reading_of(parse(alias, self.gazetteer), address.region_code)
            out.append(self._aliases[key])
        return out

    def rank(self, wanted: Reading, found: dict[uuid.UUID, Address]) -> list[Ranked]:
        ranked = []
        for address in found.values():
            score = best_score(wanted, self.readings(address))
            kind, confidence = judge(wanted, score)
            ranked.append(Ranked(address, score, kind, confidence))
        ranked.sort(
            key=lambda r: (
                -r.confidence,
                -r.score.value,
                _extra(r.address),
                r.address.full_name,
                r.address.address_code,
            )
        )
        return ranked

    async def match(self, text: str, limit: int) -> tuple[ParsedAddress, list[Ranked]]:
        parsed = parse(text, self.gazetteer)
        wanted = reading_of(parsed)
        found: dict[uuid.UUID, Address] = {}
        for address in await self._exact(wanted):
            found[address.id] = address
        ranked = self.rank(wanted, found)
        if ranked and ranked[0].confidence >= GOOD_ENOUGH and ranked[0].kind != "fuzzy":
            return parsed, _shown(settle_ties(ranked), limit)
        nearby = await self.search.by_terms(self.scope, _place_terms(wanted))
        if not nearby:
            nearby = await self.search.by_patterns(self.scope, _one_wrong_character(wanted))
        if not nearby:
            nearby = await self.search.similar(self.scope, "".join(_place_terms(wanted)) or parsed.local)
        for address in nearby:
            found[address.id] = address
        for address in await self._fallback(wanted):
            found[address.id] = address
        places: list[tuple[str, str, str]] = []
        for near in self.rank(wanted, {a.id: a for a in nearby}):
            place = (near.address.road, near.address.compound, near.address.village)
            if place not in places:
                places.append(place)
            if len(places) == EXPAND_FROM:
                break
        for road, compound, village in places:
            for more in await self._exact(replace(wanted, road=road, compound=compound, village=village)):
                found[more.id] = more
        return parsed, _shown(settle_ties(self.rank(wanted, found)), limit)

    async def _fallback(self, wanted: Reading) -> list[Address]:
        """Candidates by the parsed components alone: the nearest register names of each place
        the text gives, looked up exactly; and the parsed house number in the parsed region."""
        names = await place_names(self.search, self.scope)
        out: list[Address] = []
        for kind in ("road", "compound", "village"):
            for name in names.nearest(kind, getattr(wanted, kind), NEAREST):
                out.extend(await self._exact(replace(wanted, **{kind: name})))
        region = region_prefix(wanted.region_code) if wanted.region_code else ""
        if wanted.house_number and len(region) >= 9:
            out.extend(
                await self.search.by_components(
                    self.scope,
                    {"house_number": wanted.house_number},
                    region_code=wanted.region_code,
                    limit=BY_NUMBER_LIMIT,
                )
            )
        return out

    async def _exact(self, wanted: Reading) -> list[Address]:
        """Look-ups by road (with house number and below), by compound (with building and
        below) and by village (with group, house number and below), each dropping its deepest
        number until an answer comes."""
        out: list[Address] = []
        for place, numbers in PLACES:
            name = getattr(wanted, place)
            if not name:
                continue
            given = [(n, getattr(wanted, n)) for n in numbers if getattr(wanted, n)]
            for cut in range(len(given), -1, -1):
                rows = await self.search.by_components(self.scope, {place: name, **dict(given[:cut])})
                if rows:
                    out.extend(rows)
                    break
        return out


def _one_wrong_character(wanted: Reading) -> list[str]:
    """Patterns for a place name with one character wrong (人新路338号 for 人民路338号), each
    kept with its house number or building, which anchors the search."""
    out: list[str] = []
    for name, tail in (
        (wanted.road, wanted.house_number + "号" if wanted.house_number else ""),
        (wanted.compound, wanted.building + "幢" if wanted.building else ""),
        (wanted.village, wanted.house_number + "号" if wanted.house_number else ""),
    ):
        if len(name) >= 3:
            out.extend(name[:i] + "_" + name[i + 1 :] + tail for i in range(len(name)))
    return out


def _place_terms(wanted: Reading) -> list[str]:
    terms: list[str] = []
    if wanted.road:
        terms.append(wanted.road + (wanted.house_number + "号" if wanted.house_number else ""))
    if wanted.compound:
        terms.append(wanted.compound)
    if wanted.village:
        terms.append(wanted.village)
    return terms
