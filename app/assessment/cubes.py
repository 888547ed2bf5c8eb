"""The assessments cube — each person's latest capability assessment — for the analytics
engine (a declaration; see :mod:`app.core.cube`)."""

from __future__ import annotations

from sqlalchemy import FromClause, func, select

from app.assessment.models import Assessment
from app.core.cube import (
    Cube,
    CubeContext,
    Dimension,
    Measure,
    TimeAxis,
    age_band_dimension,
    count_of,
    count_rows,
    total,
    value_of,
)

LEVELS = (
    ("intact", "能力完好", "Intact"),
    ("mild", "轻度失能", "Mildly disabled"),
    ("moderate", "中度失能", "Moderately disabled"),
    ("severe", "重度失能", "Severely disabled"),
    ("total", "完全失能", "Totally disabled"),
)
SEXES = (("male", "男", "Male"), ("female", "女", "Female"))


def _latest(ctx: CubeContext) -> FromClause:
    """Each person's latest assessment (current: live and not amended; the latest
    ``assessed_on``, ties to the one recorded last) on or before the query's end, or today.
    The person counts where that assessment was made."""
    a = Assessment.__table__  # type: ignore[attr-defined]
    rank = (
        func.row_number()
        .over(
            partition_by=a.c.id_number_hash,
            order_by=(a.c.assessed_on.desc(), a.c.created_at.desc(), a.c.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(
            a.c.region_code,
            a.c.level_code,
            a.c.total_score,
            a.c.birth_date,
            a.c.sex,
            a.c.assessed_on,
            rank,
        )
        .where(
            a.c.deleted_at.is_(None),
            a.c.superseded_by.is_(None),
            a.c.assessed_on <= (ctx.end or ctx.today),
        )
        .subquery("ranked")
    )
    query = select(
        ranked.c.region_code,
        ranked.c.level_code,
        ranked.c.total_score,
        ranked.c.birth_date,
        ranked.c.sex,
        ranked.c.assessed_on,
    ).where(ranked.c.rank == 1)
    return query.subquery("assessments")


ASSESSMENTS = Cube(
    name="assessments",
    label_zh="老年人能力评估",
    label_en="Elderly capability assessments (latest per person)",
    resource="assessment",
    source=_latest,
    time=TimeAxis("assessed_on", "评估日期", "Assessment date"),
    measures=(
        Measure("count", "人数", "People", "count", count_rows()),
        Measure(
            "avg_score",
            "平均总分",
            "Average total score",
            "mean",
            total("total_score"),
            denominator=count_of("total_score"),
        ),
    ),
    dimensions=(
        Dimension("level", "能力等级", "Capability level", value_of("level_code"), values=LEVELS),
        age_band_dimension("birth_date"),
        Dimension("sex", "性别", "Sex", value_of("sex"), values=SEXES),
    ),
)
