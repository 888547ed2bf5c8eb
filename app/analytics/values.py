"""Measure values: exact while computed, rendered as the API renders everything else —
counts as integers, money as yuan strings (``"12000.00"``), means to 2 places and shares to 4
(as numbers)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.core.cube import Measure
from app.core.money import format_money, from_fen

Raw = int | Decimal | None
"""``count``, ``sum`` and ``money`` (fen) are integers; ``mean`` and ``share`` exact quotients,
None where nothing was there to divide by."""

PLACES = {"mean": 2, "share": 4}


def raw(measure: Measure, value: Any, denominator: Any = None) -> Raw:
    if measure.type in {"count", "sum", "money"}:
        return int(value or 0)
    if denominator is None or int(denominator) == 0 or value is None:
        return None
    return Decimal(value) / Decimal(int(denominator))


def rounded(value: Decimal, places: int) -> float:
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def render(measure: Measure, value: Raw) -> int | float | str | None:
    if value is None:
        return None
    if measure.type == "money":
        return format_money(from_fen(int(value)))
    if measure.type in {"count", "sum"}:
        return int(value)
    return rounded(Decimal(value), PLACES[measure.type])


def render_rate(value: Decimal | None) -> float | None:
    """A relative change (0.25 = +25 %), to 4 places."""
    return None if value is None else rounded(value, 4)
