"""Issuing the address code and plate code of a new address (layout: :mod:`app.address.codes`)."""

from __future__ import annotations

from app.address.codes import LEVELS, empty_segment, new_plate_code, next_segment, segment
from app.address.components import Components
from app.address.repository import AddressRepository

PLATE_ATTEMPTS = 16


def _present(parts: Components, index: int) -> bool:
    return any(getattr(parts, name) for name in LEVELS[index].fields)


async def _compose(
    repo: AddressRepository, region_code: str, parts: Components, fresh_from: int | None
) -> str:
    prefix = region_code
    for index, level in enumerate(LEVELS):
        if not _present(parts, index):
            prefix += empty_segment(level)
            continue
        issued = None
        if fresh_from is None or index < fresh_from:
            issued = await repo.issued_segment(level, prefix, region_code, parts, index)
        if issued is None:
            issued = next_segment(level, await repo.highest_code(prefix), prefix)
        prefix += issued
    return prefix


async def issue_code(repo: AddressRepository, region_code: str, parts: Components) -> str:
    """Reuse the segments of active addresses that share the leading components; take the next
    free sequence number where a component is new (and 1 below it: nothing is issued under a
    new segment yet). The caller holds the region's lock.

    Only when a corrected address still holds the code this would give (its components
    changed, its code did not) is the deepest given level issued afresh instead.
    """
    sharing = await repo.sharing_codes(region_code, parts)
    prefix = region_code
    fresh = False
    for index, level in enumerate(LEVELS):
        if not _present(parts, index):
            prefix += empty_segment(level)
        elif fresh:
            prefix += segment(level, 1, prefix)
        else:
            found = sharing[index]
            issued = found[level.start : level.end] if found and found.startswith(prefix) else None
            if issued is None and found:
                issued = await repo.issued_segment(level, prefix, region_code, parts, index)
            if issued is None:
                issued = next_segment(level, await repo.highest_code(prefix), prefix)
                fresh = True
            prefix += issued
    if not fresh and await repo.code_taken(prefix):
        deepest = max(i for i in range(len(LEVELS)) if _present(parts, i))
        prefix = await _compose(repo, region_code, parts, deepest)
    return prefix


async def issue_plate(repo: AddressRepository) -> str:
    """A random plate code no address holds (a collision of 100-bit codes is not expected; the
    check keeps the unique index from ever failing a write)."""
    for _attempt in range(PLATE_ATTEMPTS):
        candidate = new_plate_code()
        if not await repo.plate_taken(candidate):
            return candidate
    raise RuntimeError(f"no free plate code after {PLATE_ATTEMPTS} attempts")
