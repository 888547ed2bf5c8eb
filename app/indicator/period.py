"""Reporting periods: a year (``"2022"``) or a quarter of one (``"2022Q3"``).

The elapsed share of a period at a date is the days up to and including that date over the
days of the period, clamped to 0..1: 2022-12-31 gives 1, 2022-07-02 gives 183/365.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

PERIOD_PATTERN = r"^\d{4}(Q[1-4])?$"
_PERIOD = re.compile(PERIOD_PATTERN)


@dataclass(frozen=True, slots=True)
class Period:
    text: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_period(text: str) -> Period:
    if not _PERIOD.match(text):
        raise ValueError('a period is a year such as "2022" or a quarter such as "2022Q3"')
    year = int(text[:4])
    if year < 1900:
        raise ValueError("the period's year is out of range")
    if len(text) == 4:
        return Period(text, date(year, 1, 1), date(year, 12, 31))
    quarter = int(text[5])
    start = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(text, start, following - timedelta(days=1))


def elapsed_share(period: Period, on: date) -> Decimal:
    """The share of the period gone by at the end of ``on``, between 0 and 1."""
    if on < period.start:
        return Decimal(0)
    if on >= period.end:
        return Decimal(1)
    return Decimal((on - period.start).days + 1) / Decimal(period.days)


def clamp_to(period: Period, on: date) -> date:
    """``on``, or the period's last day when ``on`` is after it (live data of a past period)."""
    return min(on, period.end)
