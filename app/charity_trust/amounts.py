"""Trust property arithmetic and the as-of figures the statistics report.

All amounts are integer fen. A property change carries a signed amount (added property is
positive, a withdrawal negative); the trust property may never fall to zero or below.

The amount of a trust *as of* a day is its initial amount plus every property change that
took effect on or before that day. A trust is *in force* on a day when it was filed on or
before that day and had not terminated by then (a trust terminated on the day itself is no
longer in force). The repository computes the same figures in SQL; these functions state the
rules and let tests check them without a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


class NonPositiveProperty(ValueError):
    def __init__(self, current_fen: int, amount_fen: int) -> None:
        super().__init__("the change would leave the trust with no property; a trust keeps more than 0.00")
        self.current_fen = current_fen
        self.amount_fen = amount_fen


def apply_property_change(current_fen: int, amount_fen: int) -> int:
    """The trust property after a change of ``amount_fen`` (raises if it would be ≤ 0)."""
    after = current_fen + amount_fen
    if after <= 0:
        raise NonPositiveProperty(current_fen, amount_fen)
    return after


def amount_on(initial_fen: int, changes: Iterable[tuple[date, int]], on: date) -> int:
    """Initial amount plus the property changes ``(effective_on, amount_fen)`` in effect on ``on``."""
    return initial_fen + sum(amount for effective_on, amount in changes if effective_on <= on)


def in_force_on(filed_on: date | None, terminated_on: date | None, on: date) -> bool:
    if filed_on is None or filed_on > on:
        return False
    return terminated_on is None or terminated_on > on


def filed_in(filed_on: date | None, year: int) -> bool:
    return filed_on is not None and filed_on.year == year


def as_of_for_year(year: int, today: date) -> date:
    """The day a year's figures are taken on: 31 December, or today for the current year."""
    return today if year == today.year else date(year, 12, 31)
