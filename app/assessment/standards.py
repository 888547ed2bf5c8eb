"""The scoring tables as the API shows them, so front ends can build the assessment form."""

from __future__ import annotations

from app.assessment.schemas import (
    DimensionRead,
    ItemRead,
    LevelBandRead,
    LevelChangeRead,
    OptionRead,
    ScoringStandardRead,
)
from app.assessment.tables import DEFAULT_STANDARD, TABLES, Table


def describe(table: Table) -> ScoringStandardRead:
    return ScoringStandardRead(
        code=table.code,
        name=table.name_zh,
        default=table.code == DEFAULT_STANDARD,
        effective_from=table.effective_from,
        max_total=table.max_total,
        reassessment_months=table.reassessment_months,
        dimensions=[
            DimensionRead(
                code=d.code,
                name=d.name_zh,
                max=table.dimension_max(d.code),
                items=[i.code for i in table.items if i.dimension == d.code],
            )
            for d in table.dimensions
        ],
        items=[
            ItemRead(
                code=i.code,
                name=i.name_zh,
                dimension=i.dimension,
                min=0,
                max=i.max,
                options=[
                    OptionRead(score=score, label=label)
                    for score, label in reversed(list(enumerate(i.options)))
                ],
            )
            for i in table.items
        ],
        levels=[
            LevelBandRead(
                level=b.level, code=b.code, name=b.name_zh, min_total=b.min_total, max_total=b.max_total
            )
            for b in table.bands
        ],
        level_changes=[
            LevelChangeRead(code=c.code, description=c.name_zh, effect=c.effect) for c in table.changes
        ],
    )


def describe_all(code: str | None = None) -> list[ScoringStandardRead]:
    return [describe(t) for t in TABLES.values() if code is None or t.code == code]
