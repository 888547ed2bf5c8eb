"""Scoring an assessment from its standard's table: item checks, dimension scores, the total,
the level band, the level changes and the re-assessment date. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.assessment.tables import Conditions, LevelBand, Table
from app.core.calendar import add_months

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    loc: Loc
    msg: str


@dataclass(frozen=True, slots=True)
class Score:
    total: int
    dimensions: dict[str, int]
    base_level: int
    level: int
    level_code: str
    level_name: str
    adjustments: tuple[str, ...]


def check_items(table: Table, items: Mapping[str, int], loc: Loc = ("body", "items")) -> list[Problem]:
    """One problem per missing item, unknown item and score outside its item's range."""
    problems: list[Problem] = []
    for item in table.items:
        if item.code not in items:
            problems.append(Problem((*loc, item.code), f"{item.name_zh} ({item.code}) is required"))
            continue
        value = items[item.code]
        if not 0 <= value <= item.max:
            problems.append(
                Problem(
                    (*loc, item.code), f"{item.name_zh} ({item.code}) is scored 0–{item.max}, not {value}"
                )
            )
    for code in sorted(set(items) - {i.code for i in table.items}):
        problems.append(Problem((*loc, code), f"{code[:40]} is not an item of {table.code}"))
    return problems


def band_for(table: Table, total: int) -> LevelBand:
    for band in table.bands:
        if band.min_total <= total <= band.max_total:
            return band
    raise ValueError(f"total {total} lies outside 0–{table.max_total}")


def band_of_level(table: Table, level: int) -> LevelBand:
    return next(band for band in table.bands if band.level == level)


def adjust(table: Table, base_level: int, conditions: Conditions) -> tuple[int, tuple[str, ...]]:
    """The level after the table's level changes, and the codes of the changes that hold.

    A ``worst`` change (coma) settles the level on its own. The ``raise`` changes do not
    stack: GB/T 42195-2022 (能力等级变更依据) raises the level *one grade above the original
    level* (在原有能力级别上提高一个等级) when a diagnosed mental disorder, or two or more
    care-risk events in 30 days, is present — each condition is a reason for the same raise
    from the level of the total, so both together still raise one level (as its predecessor
    MZ/T 039-2013 said outright: 有以下情况之一者，在原有能力级别上提高一个级别). Every change
    that holds is listed; the result never passes the worst level.
    """
    worst = table.worst_level
    for change in table.changes:
        if change.effect == "worst" and change.applies(conditions):
            return worst, (change.code,)
    applied = tuple(c.code for c in table.changes if c.effect == "raise" and c.applies(conditions))
    return min(base_level + (1 if applied else 0), worst), applied


def check_conditions(
    table: Table, items: Mapping[str, int], conditions: Conditions, loc: Loc = ("body", "items")
) -> list[Problem]:
    """Conditions the item scores contradict: a subject in a coma cannot be scored anything but
    the lowest option of the consciousness item (昏睡或昏迷) — 422 at that item."""
    item = next((i for i in table.items if i.code == table.consciousness_item), None)
    if not conditions.coma or item is None or item.code not in items:
        return []
    value = items[item.code]
    if value == 0 or not 0 <= value <= item.max:
        return []
    return [
        Problem(
            (*loc, item.code),
            f"the subject is recorded in a coma (conditions.coma), but {item.name_zh} ({item.code}) is "
            f"scored {value}, {item.options[value]}; in a coma it is 0, {item.options[0]}",
        )
    ]


def score(table: Table, items: Mapping[str, int], conditions: Conditions) -> Score:
    """Score complete, in-range items (check them with :func:`check_items` first)."""
    problems = check_items(table, items)
    if problems:
        raise ValueError(problems[0].msg)
    dimensions = {d.code: 0 for d in table.dimensions}
    for item in table.items:
        dimensions[item.dimension] += items[item.code]
    total = sum(dimensions.values())
    base = band_for(table, total)
    level, applied = adjust(table, base.level, conditions)
    final = band_of_level(table, level)
    return Score(
        total=total,
        dimensions=dimensions,
        base_level=base.level,
        level=final.level,
        level_code=final.code,
        level_name=final.name_zh,
        adjustments=applied,
    )


def next_due(table: Table, assessed_on: date) -> date:
    """When the next routine re-assessment falls due (sooner after a major change in condition)."""
    return add_months(assessed_on, table.reassessment_months)
