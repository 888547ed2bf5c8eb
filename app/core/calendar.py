"""Date arithmetic, once: months, anniversaries and ages, in whole calendar days.

Rules the service uses everywhere:
- a month later (or earlier) is the same day of that month; the 29th–31st fall back to the
  month's last day (31 January + 1 month = 28 or 29 February);
- one is ``n`` years old from the ``n``th anniversary of one's birth; born on 29 February, the
  anniversary in a common year is 1 March (full years are counted);
- "born by" a day for an age is the latest birth date of someone that old on that day.
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (negative: earlier), clamped to the month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier ("12 months ago")."""
    return add_months(day, -months)


def anniversary(born: date, years: int) -> date:
    """The day one turns ``years`` (born on 29 February: 1 March in a common year)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def born_by(on: date, years: int) -> date:
    """The latest birth date of someone ``years`` old or older on ``on``."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # ``on`` is 29 February and that year has none
        return date(on.year - years, 2, 28)


def age_on(born: date, on: date) -> int:
    """Full years of age on ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
