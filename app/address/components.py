"""The components of a standard address, normalised, and what is derived from them: the full
standard name, the text the search index holds, and the key that makes two entries the same
address."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from functools import lru_cache

from app.address.normalize import (
    NUMBER_PATTERN,
    implied_floor,
    normalize_name,
    normalize_number,
    normalize_text,
)

NAME_FIELDS = ("community", "road", "compound")
NUMBER_FIELDS = ("village_group", "house_number", "building", "unit", "floor", "room")
STORED_FIELDS = ("community", "village", "road", "compound", *NUMBER_FIELDS)
"""Every component column of the register (``village`` is derived, see :class:`Components`)."""
MARKS = {
    "village_group": "组",
    "house_number": "号",
    "building": "幢",
    "unit": "单元",
    "floor": "层",
    "room": "室",
}


class ComponentError(ValueError):
    """A component that cannot be normalised; ``field`` names it."""

    def __init__(self, field: str, msg: str) -> None:
        super().__init__(msg)
        self.field = field
        self.msg = msg


@dataclass(frozen=True, slots=True)
class Components:
    """Normalised components below the region (empty string when absent).

    A village address (西山村3组12号, 东阳村12号) has no road and no compound: the village
    (its community) is the place, and ``village`` repeats the community's name so that the
    place is part of the address's identity and code; ``village_group`` is the 村民小组 (组/队).
    """

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

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in COMPONENT_NAMES}


COMPONENT_NAMES = tuple(f.name for f in fields(Components))


def normalize_components(values: dict[str, str | None]) -> Components:
    """Normalise raw component values; raises :class:`ComponentError` for an unusable one.

    A floor that the room already carries (3 and 301) is dropped, so ``3层301室`` and ``301室``
    are the same address.
    """
    out: dict[str, str] = {}
    for name in NAME_FIELDS:
        raw = (values.get(name) or "").strip()
        text = normalize_name(raw) if raw else ""
        if raw and not text:
            raise ComponentError(name, f"{name} has no letters or characters left after normalisation")
        out[name] = text
    for name in NUMBER_FIELDS:
        raw = (values.get(name) or "").strip()
        if not raw:
            out[name] = ""
            continue
        text, problem = _number(raw)
        if problem:
            raise ComponentError(name, f"{name} {problem}")
        out[name] = text
    if out["floor"] and out["floor"] == implied_floor(out["room"]):
        out["floor"] = ""
    out["village"] = ""
    if not out["road"] and not out["compound"]:
        if not out["community"]:
            raise ComponentError(
                "road", "give a road (街路巷), a compound (小区/院落) or a village (community)"
            )
        out["village"] = out["community"]
    return Components(**out)


@lru_cache(maxsize=65_536)
def _number(raw: str) -> tuple[str, str]:
    """A number component normalised, and what is wrong with it ("" when nothing). Memoised
    like the normalisation beneath it: files repeat the same numbers."""
    text = normalize_number(raw)
    if not text:
        # Punctuation alone ("#", "%'") would otherwise pass as "no number" and name another
        # address than the one given.
        return "", f"has no digits or letters left after normalisation (got {raw!r})"
    if not NUMBER_PATTERN.match(text):
        return text, f"must be a number such as 12, 12A or 12-1 (got {raw!r})"
    return text, ""


def with_changes(current: Components, changes: dict[str, str | None]) -> Components:
    merged: dict[str, str | None] = {**current.as_dict(), **changes}
    merged.pop("village", None)
    return normalize_components(merged)


def normalize_aliases(aliases: Iterable[str]) -> list[str]:
    """Aliases in canonical spelling, blanks and repeats dropped, order kept."""
    seen: list[str] = []
    for alias in aliases:
        text = normalize_text(alias)
        if text and text not in seen:
            seen.append(text)
    return seen


def local_name(parts: Components) -> str:
    """The address below the region: 米兰社区人民路123号凤凰小区3幢2单元301室, 西山村3组12号."""
    out = [parts.community]
    if parts.village_group:
        out.append(parts.village_group + MARKS["village_group"])
    out.append(parts.road)
    for name in ("house_number", "compound", "building", "unit", "floor", "room"):
        value = getattr(parts, name)
        out.append(value + MARKS[name] if value and name in MARKS else value)
    return "".join(out)


def full_name(region_names: Sequence[str], parts: Components) -> str:
    """The whole standard address, province to room. The community is left out when it is
    the region itself (a village-level region code)."""
    names = list(region_names)
    if parts.community and names and names[-1] == parts.community and not parts.village:
        parts = replace(parts, community="")
    return "".join(names) + local_name(parts)


def search_text(name: str, aliases: Sequence[str]) -> str:
    """What the search index holds: the full name and the aliases, space-separated."""
    return " ".join([name, *aliases])


def match_key(region_code: str, parts: Components) -> str:
    """Equal for two entries of the same address (the community, a label, is not part of it —
    except in a village address, where the village is the place)."""
    fields = [
        region_code,
        parts.road,
        parts.compound,
        parts.house_number,
        parts.building,
        parts.unit,
        parts.floor,
        parts.room,
    ]
    if parts.village or parts.village_group:
        fields += [parts.village, parts.village_group]
    key = "|".join(fields)
    return hashlib.sha256(key.encode()).hexdigest()[:32]
