"""The regions addresses need, read through the region service: the gazetteer the parser reads
names with (cached per database for a minute — region and alias changes are rare; it holds the
place-alias table's other names too) and exact region paths for full names and responses
(never cached)."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from app.address.aliases import live_aliases
from app.address.gazetteer import Gazetteer, Place
from app.address.schemas import RegionStep
from app.region import service as regions
from app.security.scope import ancestors, region_level

CACHE_SECONDS = 60.0
_cache: dict[tuple[str, str], tuple[float, Gazetteer]] = {}


def province_of(code: str) -> str:
    return code[:2].ljust(12, "0")


async def gazetteer(session: AsyncSession, root: str) -> Gazetteer:
    """Every region under ``root``'s province (``root`` is the node's region)."""
    top = province_of(root)
    bind = session.bind
    key = (bind.sync_engine.url.render_as_string(hide_password=True) if bind is not None else "", top)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit and hit[0] > now:
        return hit[1]
    found = await regions.names(session, [top])
    places: list[Place] = []
    if top in found:
        places.append(Place(top, found[top], "province", None))
    frontier = [top] if places else []
    while frontier:
        parent = frontier.pop()
        for child in await regions.children_of(session, parent):
            places.append(Place(child.code, child.name, child.level, parent))
            if child.level != "village":
                frontier.append(child.code)
    aliases = [(alias.name, alias.region_code) for alias in await live_aliases(session)]
    built = Gazetteer.build(places, aliases)
    _cache[key] = (now + CACHE_SECONDS, built)
    return built


def forget() -> None:
    """Drop cached gazetteers (tests that change regions)."""
    _cache.clear()


async def paths(session: AsyncSession, codes: list[str]) -> dict[str, list[RegionStep]]:
    """Each region's path, province first, read from the region table."""
    wanted = {c: [*ancestors(c), c] for c in set(codes)}
    names = await regions.names(session, sorted({c for path in wanted.values() for c in path}))
    return {
        code: [RegionStep(code=c, name=names[c], level=region_level(c)) for c in path if c in names]
        for code, path in wanted.items()
    }
