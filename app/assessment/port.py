"""The assessment port: typed read functions other domains use to learn a person's latest
capability assessment, never the assessment tables themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import service
from app.assessment.tables import TABLES


@dataclass(frozen=True, slots=True)
class LatestLevel:
    """A person's latest assessment: level 0–4, its code (``severe`` …) and the day."""

    level: int
    level_code: str
    assessed_on: date


def _levels() -> dict[str, int]:
    out: dict[str, int] = {}
    for table in TABLES.values():
        for band in table.bands:
            out.setdefault(band.code, band.level)
    return out


LEVEL_OF_CODE = _levels()
"""Level number of every level code of every scoring table (``severe`` → 3)."""


async def latest_levels(session: AsyncSession, id_hashes: Sequence[str]) -> dict[str, LatestLevel]:
    """``{ID hash: latest level}`` for the people assessed on this node."""
    if not id_hashes:
        return {}
    found = await service.latest_levels(session, list(id_hashes))
    return {
        digest: LatestLevel(LEVEL_OF_CODE.get(code, 0), code, day)
        for digest, (code, day) in found.items()
        if code in LEVEL_OF_CODE
    }


def latest_at_levels(levels: Sequence[int]) -> Select[Any]:
    """The ID hashes of the people whose latest assessment is at one of ``levels`` (0–4), as a
    selection another domain's statement embeds: the people are never read into memory."""
    return service.latest_at_levels([code for code, level in LEVEL_OF_CODE.items() if level in levels])
