"""A measure by month with its month-over-month and year-over-year change.

The window runs over whole months: ``to`` defaults to the current local month and ``from`` to
eleven months before ``to``. One aggregate query reads the window and the twelve months before
it (the bases of the first months' changes). A month without records is worth 0 for counts and
sums and has no value for means and shares. Each point gives ``value``, and under ``mom`` and
``yoy`` the ``base`` (the previous month's, last year's same month's value), the ``change``
(value − base) and the ``rate`` (change / base; null when the base is 0 or missing).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.ask import Ask, names, parse_day
from app.analytics.engine import grouped, region_name
from app.analytics.values import Raw, render, render_rate
from app.core.cube import Cube, Measure
from app.core.errors import Unprocessable
from app.security.principal import Principal

DEFAULT_MONTHS = 12
MAX_MONTHS = 120


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def first_day(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def pick_measure(cube: Cube, measure: str | None) -> Measure:
    wanted = names(measure)
    if len(wanted) > 1:
        raise Unprocessable.at(("query", "measure"), "a trend follows one measure")
    name = wanted[0] if wanted else "count"
    found = cube.measure(name)
    if found is None:
        raise Unprocessable.at(
            ("query", "measure"),
            f"unknown measure {name} of cube {cube.name}; known: {', '.join(m.name for m in cube.measures)}",
        )
    return found


def last_day(index: int) -> date:
    return date.fromordinal(first_day(index + 1).toordinal() - 1)


def months(start: str | None, end: str | None, today: date) -> tuple[int, int]:
    """The first and last month of the window, as month indexes."""
    last_day = parse_day(end, ("query", "to"), end=True)
    first = parse_day(start, ("query", "from"), end=False)
    last = month_index(last_day or today)
    begin = month_index(first) if first else last - (DEFAULT_MONTHS - 1)
    if begin > last:
        raise Unprocessable.at(("query", "to"), "to lies before from")
    if last - begin + 1 > MAX_MONTHS:
        raise Unprocessable.at(("query", "from"), f"a trend spans at most {MAX_MONTHS} months")
    return begin, last


def _change(value: Raw, base: Raw) -> tuple[Raw, Decimal | None]:
    if value is None or base is None:
        return None, None
    change = value - base
    rate = Decimal(change) / Decimal(base) if base != 0 else None
    return change, rate


def _compare(measure: Measure, value: Raw, base: Raw) -> dict[str, Any]:
    change, rate = _change(value, base)
    return {"base": render(measure, base), "change": render(measure, change), "rate": render_rate(rate)}


async def series(
    session: AsyncSession,
    principal: Principal,
    cube: Cube,
    measure: Measure,
    region_code: str | None,
    window: tuple[int, int],
    today: date,
) -> dict[int, Raw]:
    """The measure's value per month index, from a year before the window to its end."""
    begin, last = window
    ask = Ask(
        cube=cube,
        measures=(measure,),
        by=("month",),
        region_code=region_code,
        start=first_day(begin - 12),
        end=last_day(last),
    )
    result = await grouped(session, principal, ask, today)
    out: dict[int, Raw] = {}
    for group in result.groups():
        text = group.key[0]
        if text is None:
            continue
        out[int(text[:4]) * 12 + int(text[5:7]) - 1] = group.values[0]
    return out


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
    if cube.time is None:
        raise Unprocessable.at(("path", "cube"), f"cube {cube.name} has no date to follow by month")
    chosen = pick_measure(cube, measure)
    window = months(start, end, today)
    name = await region_name(session, principal, region_code)
    values = await series(session, principal, cube, chosen, region_code, window, today)

    def value(index: int) -> Raw:
        found = values.get(index)
        if found is None and chosen.additive:
            return 0
        return found

    points = [
        {
            "month": month_text(index),
            "value": render(chosen, value(index)),
            "mom": _compare(chosen, value(index), value(index - 1)),
            "yoy": _compare(chosen, value(index), value(index - 12)),
        }
        for index in range(window[0], window[1] + 1)
    ]
    return {
        "cube": cube.name,
        "measure": chosen.name,
        "type": chosen.type,
        "label_zh": chosen.label_zh,
        "label_en": chosen.label_en,
        "region_code": region_code,
        "region_name": name,
        "from": month_text(window[0]),
        "to": month_text(window[1]),
        "points": points,
    }
