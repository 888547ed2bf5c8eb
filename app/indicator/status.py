"""Completion rate and traffic-light status of one region's figure against its target.

Completion rate, by comparator:

- ``gte``, ``gt`` (higher is better) and ``eq``: actual / target; undefined when the target is 0.
- ``lte`` (lower is better): target / actual; undefined when the actual is 0 (which meets any
  target).

Status:

- ``grey``: no actual or no target — nothing to judge.
- ``green``: the target is met by the comparator (actual ≥, >, = or ≤ target).
- ``yellow`` (``sum`` and ``ratio`` only): not met, but the completion rate is at least the
  elapsed share of the period — on schedule. An ``eq`` figure above its target is never yellow:
  overshooting an exact target is not progress towards it.
- ``red``: otherwise. ``min`` and ``none`` figures are standards or one-off counts, so they are
  green, red or grey only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

Comparator = Literal["gte", "gt", "eq", "lte"]
Status = Literal["green", "yellow", "red", "grey"]
STATUSES: tuple[Status, ...] = ("green", "yellow", "red", "grey")
PACED = frozenset({"sum", "ratio"})

# Most lagging first: behind schedule, then on schedule but unmet, then unknown, then met.
_SEVERITY: dict[str, int] = {"red": 0, "yellow": 1, "grey": 2, "green": 3}


def is_met(comparator: str, actual: Decimal, target: Decimal) -> bool:
    if comparator == "gte":
        return actual >= target
    if comparator == "gt":
        return actual > target
    if comparator == "eq":
        return actual == target
    if comparator == "lte":
        return actual <= target
    raise ValueError(f"unknown comparator {comparator!r}")


def completion_rate(comparator: str, actual: Decimal | None, target: Decimal | None) -> Decimal | None:
    if actual is None or target is None:
        return None
    if comparator == "lte":
        return target / actual if actual != 0 else None
    return actual / target if target != 0 else None


def status_of(
    aggregation: str,
    comparator: str,
    actual: Decimal | None,
    target: Decimal | None,
    elapsed: Decimal,
) -> Status:
    if actual is None or target is None:
        return "grey"
    if is_met(comparator, actual, target):
        return "green"
    if aggregation not in PACED or (comparator == "eq" and actual > target):
        return "red"
    rate = completion_rate(comparator, actual, target)
    if rate is not None and rate >= elapsed:
        return "yellow"
    return "red"


def lag_order(status: str, rate: Decimal | None, code: str) -> tuple[int, int, Decimal, str]:
    """A sort key putting the most lagging indicator first: by status, then lowest completion."""
    return (_SEVERITY[status], 0 if rate is not None else 1, rate if rate is not None else Decimal(0), code)
