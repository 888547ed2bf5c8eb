"""Matching free text against the register: parse, gather candidates, score, rank.

Candidates come in two rounds. First exact look-ups on the parsed road or compound with the
parsed numbers, dropping the deepest number until something answers (a text with a wrong or
missing room still finds the building). When no candidate scores well, the search index is
asked: the place names as substrings (which also finds old names kept as aliases), then the
place names with any one character wrong, then trigram similarity; the register's own spelling
of the places found is then looked up exactly with the parsed numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from app.address.gazetteer import Gazetteer
from app.address.models import Address
from app.address.parser import ParsedAddress, parse
from app.address.scoring import Reading, Score, best_score
from app.address.search import AddressSearch

GOOD_ENOUGH = 0.9
NUMBERS = ("house_number", "building", "unit", "room")
PLACES = (("road", ("house_number", "building", "unit", "room")), ("compound", ("building", "unit", "room")))
EXPAND_FROM = 5


@dataclass(frozen=True, slots=True)
class Ranked:
    address: Address
    score: Score


def reading_of(parsed: ParsedAddress, region_code: str = "") -> Reading:
    return Reading(
        region_code=parsed.value("region_code") or region_code,
        community=parsed.value("community"),
        road=parsed.value("road"),
        compound=parsed.value("compound"),
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
        ranked = [Ranked(a, best_score(wanted, self.readings(a))) for a in found.values()]
        ranked.sort(key=lambda r: (-r.score.value, _extra(r.address), r.address.address_code))
        return ranked

    async def match(self, text: str, limit: int) -> tuple[ParsedAddress, list[Ranked]]:
        parsed = parse(text, self.gazetteer)
        wanted = reading_of(parsed)
        found: dict[uuid.UUID, Address] = {}
        for address in await self._exact(wanted):
            found[address.id] = address
        ranked = self.rank(wanted, found)
        if ranked and ranked[0].score.value >= GOOD_ENOUGH:
            return parsed, ranked[:limit]
        nearby = await self.search.by_terms(self.scope, _place_terms(wanted))
        if not nearby:
            nearby = await self.search.by_patterns(self.scope, _one_wrong_character(wanted))
        if not nearby:
            nearby = await self.search.similar(self.scope, "".join(_place_terms(wanted)) or parsed.local)
        for address in nearby:
            found[address.id] = address
        places: list[tuple[str, str]] = []
        for near in self.rank(wanted, {a.id: a for a in nearby}):
            place = (near.address.road, near.address.compound)
            if place not in places:
                places.append(place)
            if len(places) == EXPAND_FROM:
                break
        for road, compound in places:
            for more in await self._exact(replace(wanted, road=road, compound=compound)):
                found[more.id] = more
        return parsed, self.rank(wanted, found)[:limit]

    async def _exact(self, wanted: Reading) -> list[Address]:
        """Look-ups by road (with house number and below) and by compound (with building and
        below), each dropping its deepest number until an answer comes."""
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
    return terms
