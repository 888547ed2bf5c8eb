"""People per level for a region and each of its child regions, by each person's latest
assessment on a day (seed clause 8: a precise picture of the elderly population)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment.repository import AssessmentRepository
from app.assessment.schemas import AssessmentStats, LevelCounts
from app.assessment.tables import level_codes
from app.core.validators import normalize_region_code
from app.region import service as regions
from app.security.principal import Principal
from app.security.scope import in_scope


def _counts(code: str, name: str, rows: list[tuple[str, str, int]]) -> LevelCounts:
    levels = dict.fromkeys(level_codes(), 0)
    for region_code, level_code, people in rows:
        if in_scope(code, region_code):
            levels[level_code] = levels.get(level_code, 0) + people
    return LevelCounts(region_code=code, name=name, people=sum(levels.values()), levels=levels)


async def level_stats(
    session: AsyncSession, principal: Principal, region_code: str | None, as_of: date
) -> AssessmentStats:
    """404 for a region that is unknown or outside the caller's scope."""
    code = normalize_region_code(region_code or principal.region)
    region = await regions.get(session, principal, code)
    rows = await AssessmentRepository(session).level_counts(code, as_of)
    return AssessmentStats(
        as_of=as_of,
        region=_counts(region.code, region.name, rows),
        children=[_counts(child.code, child.name, rows) for child in region.children],
    )
