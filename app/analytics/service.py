"""Analytics use cases: the catalogue of cubes, answers, trends and their charts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics import charts, engine
from app.analytics import trend as trends
from app.analytics.ask import REGION_LABELS, TIME_UNITS, ask, names, region_level
from app.analytics.registry import CubeRegistry
from app.analytics.schemas import CubeInfo, DimensionInfo, MeasureInfo, TimeInfo, ValueLabel
from app.core.cube import Cube
from app.core.errors import NotFound, Unprocessable
from app.security.permissions import allowed
from app.security.principal import Principal


def find(registry: CubeRegistry, name: str) -> Cube:
    cube = registry.get(name)
    if cube is None:
        raise NotFound(f"no cube {name}; the cubes are {', '.join(c.name for c in registry)}")
    return cube


def describe(cube: Cube) -> CubeInfo:
    dimensions = [
        DimensionInfo(name=f"region:{level}", label_zh=zh, label_en=en, kind="region")
        for level, (zh, en) in REGION_LABELS.items()
    ]
    if cube.time is not None:
        dimensions += [
            DimensionInfo(
                name=unit,
                label_zh=f"{cube.time.label_zh}·{zh}",
                label_en=f"{en} of {cube.time.label_en.lower()}",
                kind="time",
            )
            for unit, (zh, en) in TIME_UNITS.items()
        ]
    dimensions += [
        DimensionInfo(
            name=d.name,
            label_zh=d.label_zh,
            label_en=d.label_en,
            kind="attribute",
            values=[ValueLabel(value=v, label_zh=zh, label_en=en) for v, zh, en in d.values],
        )
        for d in cube.dimensions
    ]
    return CubeInfo(
        name=cube.name,
        label_zh=cube.label_zh,
        label_en=cube.label_en,
        time=TimeInfo(column=cube.time.column, label_zh=cube.time.label_zh, label_en=cube.time.label_en)
        if cube.time
        else None,
        measures=[
            MeasureInfo(name=m.name, label_zh=m.label_zh, label_en=m.label_en, type=m.type)
            for m in cube.measures
        ],
        dimensions=dimensions,
    )


def catalogue(registry: CubeRegistry, principal: Principal) -> list[CubeInfo]:
    """The cubes the caller may ask (those whose records its roles may read)."""
    return [describe(c) for c in registry if allowed(principal.roles, f"{c.resource}:read")]


async def answer(
    session: AsyncSession,
    principal: Principal,
    cube: Cube,
    *,
    measures: str | None,
    by: str | None,
    region_code: str | None,
    start: str | None,
    end: str | None,
    today: date,
) -> dict[str, Any]:
    engine.check_readable(principal, cube)
    question = ask(cube, measures=measures, by=by, region_code=region_code, start=start, end=end)
    return await engine.answer(session, principal, question, today)


async def trend(
    session: AsyncSession,
    principal: Principal,
    cube: Cube,
    *,
    measure: str | None,
    region_code: str | None,
    start: str | None,
    end: str | None,
    today: date,
) -> dict[str, Any]:
    engine.check_readable(principal, cube)
    return await trends.trend(
        session,
        principal,
        cube,
        measure=measure,
        region_code=region_code,
        start=start,
        end=end,
        today=today,
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def _text(value: Any) -> str:
    return "—" if value is None else str(value)


def trend_svg(found: dict[str, Any], title: str | None) -> str:
    heading = title or f"{found['label_zh']}（按月）"
    points = [charts.Point(p["month"], _float(p["value"]), _text(p["value"])) for p in found["points"]]
    return charts.columns(heading, points)


async def chart_svg(
    session: AsyncSession,
    principal: Principal,
    cube: Cube,
    *,
    measure: str | None,
    by: str | None,
    region_code: str | None,
    start: str | None,
    end: str | None,
    title: str | None,
    today: date,
) -> str:
    """One measure by one dimension as horizontal bars (regions by their names)."""
    dimension = names(by)
    if len(dimension) != 1:
        raise Unprocessable.at(("query", "by"), "a chart is drawn by exactly one dimension")
    chosen = trends.pick_measure(cube, measure)
    found = await answer(
        session,
        principal,
        cube,
        measures=chosen.name,
        by=dimension[0],
        region_code=region_code,
        start=start,
        end=end,
        today=today,
    )
    key = dimension[0]
    labelled = region_level(key) is not None
    points = [
        charts.Point(
            str((row.get(f"{key}_name") if labelled else None) or row[key] or "—"),
            _float(row[chosen.name]),
            _text(row[chosen.name]),
        )
        for row in found["rows"]
    ]
    return charts.bars(title or f"{chosen.label_zh}（{cube.label_zh}）", points)
