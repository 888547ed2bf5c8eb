"""The register's place names — roads, compounds, villages — held in memory per database and
scope (for a minute, like the gazetteer), for matching a misspelt or misheard name to the
register's spelling. Character and pinyin edit distances (:mod:`rapidfuzz`) find the nearest
names; the addresses themselves are then looked up exactly. A write through this process
(create, correct, retire, import) renews the names at once; records written by another worker
or received by sync are seen within the minute."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from app.address.scoring import sound
from app.address.search import AddressSearch

CACHE_SECONDS = 60.0
FIELDS = ("road", "compound", "village")
BY_SOUND = 80.0
BY_CHARACTERS = 60.0


@dataclass(slots=True)
class PlaceNames:
    names: dict[str, list[str]] = field(default_factory=dict)
    sounds: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, names: dict[str, list[str]]) -> PlaceNames:
        out = cls()
        for name, values in names.items():
            out.names[name] = list(values)
            out.sounds[name] = [sound(v) for v in values]
        return out

    def nearest(self, kind: str, name: str, limit: int = 5) -> list[str]:
        """Register names of ``kind`` nearest to ``name``: same or near pinyin first, then near
        characters; never ``name`` itself (the exact look-up has asked for it already)."""
        values = self.names.get(kind, [])
        if not name or not values:
            return []
        out: list[str] = []
        heard = process.extract(
            sound(name), self.sounds[kind], scorer=fuzz.ratio, limit=limit, score_cutoff=BY_SOUND
        )
        seen = process.extract(name, values, scorer=fuzz.ratio, limit=limit, score_cutoff=BY_CHARACTERS)
        for _text, score, index in sorted([*heard, *seen], key=lambda hit: (-hit[1], values[hit[2]])):
            candidate = values[index]
            if candidate != name and candidate not in out and score > 0:
                out.append(candidate)
        return out[:limit]


_cache: dict[tuple[str, str], tuple[float, int, PlaceNames]] = {}
_generation = 0


def touch() -> None:
    """The register changed in this process: build the names afresh on the next match."""
    global _generation  # noqa: PLW0603 - one counter per process, by design
    _generation += 1


async def place_names(search: AddressSearch, scope: str) -> PlaceNames:
    bind = search.session.bind
    key = (bind.sync_engine.url.render_as_string(hide_password=True) if bind is not None else "", scope)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit and hit[0] > now and hit[1] == _generation:
        return hit[2]
    generation = _generation
    built = PlaceNames.build({kind: await search.distinct_names(scope, kind) for kind in FIELDS})
    _cache[key] = (now + CACHE_SECONDS, generation, built)
    return built


def forget() -> None:
    """Drop cached names (tests that build a register and match at once)."""
    _cache.clear()
