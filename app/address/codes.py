"""Address codes and digital-plate codes.

**Address code** — built the GB/T 39609-2020 way, region code + street/compound code + building
code + unit/room code, as 30 fixed-width digits::

    330502001000 00007 0123 003 02 0015
    └─ region ─┘ place  house bldg unit room
        12         5     4    3   2    4

- *region* (12): the statistical code of the township or community/village the address lies in;
- *place* (5): the road (街路巷), compound (小区/院落) or village with its group (村, 组) — one
  sequence per distinct (road, compound, village, village group) within the region;
- *house* (4): the house number (门牌号) on that place;
- *bldg* (3): the building (幢);
- *unit* (2): the unit (单元);
- *room* (4): the room (室), with its floor (层) when the room number does not carry it.

Each segment is a sequence number, ``0…01`` upwards, allocated the first time a component
value appears under its parent code; all zeros means the level is absent (a house without
buildings). Allocation takes the highest code already issued under the parent, tombstones and
retired addresses included, so a code is never issued twice; codes are never changed, also
not when an address is corrected or retired.

**Plate code** — 20 characters of Crockford base32 (digits and capitals without I, L, O, U;
URL-safe, easy to read aloud): 100 random bits from the operating system's CSPRNG, drawn once
when the address is created and never derived from the address code. The open plate page
``/p/{plate_code}`` is therefore not enumerable: guessing one live plate among a million takes
on the order of 2^80 tries.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

REGION_WIDTH = 12
CODE_WIDTH = 30
PLATE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PLATE_LENGTH = 20
PLATE_BITS = 5 * PLATE_LENGTH


@dataclass(frozen=True, slots=True)
class Level:
    """One code segment: where it sits and the components that identify its value."""

    name: str
    start: int
    width: int
    fields: tuple[str, ...]

    @property
    def end(self) -> int:
        return self.start + self.width

    @property
    def capacity(self) -> int:
        return int("9" * self.width)


LEVELS = (
    Level("place", 12, 5, ("road", "compound", "village", "village_group")),
    Level("house", 17, 4, ("house_number",)),
    Level("building", 21, 3, ("building",)),
    Level("unit", 24, 2, ("unit",)),
    Level("room", 26, 4, ("floor", "room")),
)


class SegmentFull(ValueError):
    """No sequence number is left at a level under a parent code."""

    def __init__(self, level: Level, prefix: str) -> None:
        super().__init__(f"no free {level.name} code under {prefix} (all {level.capacity} are issued)")
        self.level = level
        self.prefix = prefix


def empty_segment(level: Level) -> str:
    return "0" * level.width


def segment(level: Level, number: int, prefix: str) -> str:
    if not 1 <= number <= level.capacity:
        raise SegmentFull(level, prefix)
    return str(number).zfill(level.width)


def next_segment(level: Level, highest_code: str | None, prefix: str) -> str:
    """The segment after the highest issued under ``prefix`` (``highest_code`` is a full code)."""
    current = int(highest_code[level.start : level.end]) if highest_code else 0
    return segment(level, current + 1, prefix)


def code_range(prefix: str) -> tuple[str, str]:
    """The lowest and highest full code that begins with ``prefix`` (for an index range scan)."""
    pad = CODE_WIDTH - len(prefix)
    return prefix + "0" * pad, prefix + "9" * pad


def split_code(code: str) -> dict[str, str]:
    """The code's segments by name (``region`` first)."""
    out = {"region": code[:REGION_WIDTH]}
    for level in LEVELS:
        out[level.name] = code[level.start : level.end]
    return out


def plate_from_number(number: int) -> str:
    """The plate spelling of a ``PLATE_BITS``-bit number."""
    chars = [PLATE_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(PLATE_LENGTH))]
    return "".join(chars)


def new_plate_code() -> str:
    """A fresh random plate code (``PLATE_BITS`` bits from :mod:`secrets`)."""
    return plate_from_number(secrets.randbits(PLATE_BITS))


_B32_TO_PLATE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", PLATE_ALPHABET)
_DRAW = 15  # bytes per code: 120 bits, the first PLATE_BITS of which make the code


def new_plate_codes(count: int) -> list[str]:
    """``count`` fresh random plate codes, as :func:`new_plate_code` draws them (the first
    ``PLATE_BITS`` of each 15 random bytes, most significant first), with one call to the
    CSPRNG and base32 in C instead of a loop per character."""
    spelled = base64.b32encode(secrets.token_bytes(_DRAW * count)).decode().translate(_B32_TO_PLATE)
    step = _DRAW * 8 // 5
    return [spelled[i : i + PLATE_LENGTH] for i in range(0, step * count, step)]


def looks_like_plate(text: str) -> bool:
    return len(text) == PLATE_LENGTH and all(c in PLATE_ALPHABET for c in text)
