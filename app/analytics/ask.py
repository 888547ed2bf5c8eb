"""What a caller asks of a cube: measures, dimensions, region and time window — parsed and
checked against the cube's declaration. Every unknown name is reported in one 422."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from app.core.cube import Cube, Measure
from app.core.errors import Unprocessable

REGION_LEVELS: dict[str, int] = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
"""``region:<level>`` → the length of the level's code prefix."""
REGION_LABELS: dict[str, tuple[str, str]] = {
    "province": ("省", "Province"),
    "city": ("市", "City"),
    "county": ("区县", "County"),
    "township": ("乡镇(街道)", "Township"),
    "village": ("村(社区)", "Village or community"),
}
TIME_UNITS: dict[str, tuple[str, str]] = {
    "month": ("月份", "Month"),
    "quarter": ("季度", "Quarter"),
    "year": ("年份", "Year"),
}
MAX_DIMENSIONS = 6

_DAY = re.compile(r"^(\d{4})(?:Q([1-4])|-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, slots=True)
class Ask:
    cube: Cube
    measures: tuple[Measure, ...]
    by: tuple[str, ...]
    region_code: str | None = None
    start: date | None = None
    end: date | None = None


def names(text: str | None) -> list[str]:
    """A comma-separated list, blanks dropped, order kept, repeats once."""
    out: list[str] = []
    for part in (text or "").split(","):
        name = part.strip()
        if name and name not in out:
            out.append(name)
    return out


def region_level(name: str) -> str | None:
    """The level of a ``region:<level>`` dimension name, or None."""
    head, _, level = name.partition(":")
    return level if head == "region" and level in REGION_LEVELS else None


def parse_day(text: str | None, loc: tuple[str, ...], *, end: bool) -> date | None:
    """A day from ``YYYY``, ``YYYYQn``, ``YYYY-MM`` or ``YYYY-MM-DD``: the first day of the
    span for ``from``, its last day for ``to``."""
    if text is None or text == "":
        return None
    found = _DAY.match(text.strip())
    try:
        if not found:
            raise ValueError
        year = int(found.group(1))
        if year < 1900 or year > 2199:
            raise ValueError
        if found.group(2):
            quarter = int(found.group(2))
            first, last = 3 * quarter - 2, 3 * quarter
            if end:
                return date(year, last, calendar.monthrange(year, last)[1])
            return date(year, first, 1)
        if found.group(4):
            return date(year, int(found.group(3)), int(found.group(4)))
        if found.group(3):
            month = int(found.group(3))
            return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
        return date(year, 12, 31) if end else date(year, 1, 1)
    except ValueError:
        raise Unprocessable.at(
            loc, "a date is YYYY-MM-DD, a month YYYY-MM, a quarter YYYYQn or a year YYYY (1900-2199)"
        ) from None


def dimension_names(cube: Cube) -> list[str]:
    """Every dimension the cube answers by: region levels, time units, its own."""
    out = [f"region:{level}" for level in REGION_LEVELS]
    if cube.time is not None:
        out += list(TIME_UNITS)
    return out + [d.name for d in cube.dimensions]


def _known(name: str, cube: Cube) -> bool:
    if region_level(name) is not None:
        return True
    if name in TIME_UNITS:
        return cube.time is not None
    return cube.dimension(name) is not None


def ask(
    cube: Cube,
    *,
    measures: str | None,
    by: str | None,
    region_code: str | None,
    start: str | None,
    end: str | None,
) -> Ask:
    """The parsed question; 422 naming every unknown measure and dimension, a time dimension
    or window on a cube without a date, and a window that ends before it starts."""
    errors: list[dict[str, object]] = []
    wanted = names(measures) or [m.name for m in cube.measures]
    unknown_measures = [n for n in wanted if cube.measure(n) is None]
    if unknown_measures:
        errors.append(
            {
                "loc": ["query", "measures"],
                "msg": f"unknown measure {', '.join(unknown_measures)} of cube {cube.name}; "
                f"known: {', '.join(m.name for m in cube.measures)}",
            }
        )
    grouping = names(by)
    unknown_dimensions = [n for n in grouping if not _known(n, cube)]
    if unknown_dimensions:
        errors.append(
            {
                "loc": ["query", "by"],
                "msg": f"unknown dimension {', '.join(unknown_dimensions)} of cube {cube.name}; "
                f"known: {', '.join(dimension_names(cube))}",
            }
        )
    elif len(grouping) > MAX_DIMENSIONS:
        errors.append({"loc": ["query", "by"], "msg": f"at most {MAX_DIMENSIONS} dimensions at once"})
    window: list[date | None] = [None, None]
    for index, (text, field) in enumerate(((start, "from"), (end, "to"))):
        try:
            window[index] = parse_day(text, ("query", field), end=field == "to")
        except Unprocessable as exc:
            errors.extend(exc.errors or [])
    if (window[0] or window[1]) and cube.time is None:
        errors.append({"loc": ["query", "from"], "msg": f"cube {cube.name} has no date to window"})
    if window[0] and window[1] and window[0] > window[1]:
        errors.append({"loc": ["query", "to"], "msg": "to lies before from"})
    if errors:
        raise Unprocessable("; ".join(str(e["msg"]) for e in errors), errors=errors)
    return Ask(
        cube=cube,
        measures=tuple(m for n in wanted if (m := cube.measure(n)) is not None),
        by=tuple(grouping),
        region_code=region_code,
        start=window[0],
        end=window[1],
    )
