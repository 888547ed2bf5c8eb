"""Working days for referral deadlines: Monday to Friday.

Public holidays and the weekend days worked in their place (调休) are not modelled: China's
holiday calendar is published each year by the State Council, so a deadline that spans a
holiday comes due that many days early. Every deadline is computed here, so a holiday
calendar can be added in this one place.
"""

from __future__ import annotations

from datetime import date, timedelta

ACCEPT_WITHIN_WORKING_DAYS = 3
"""A dispatched referral must be accepted within this many working days."""


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current
