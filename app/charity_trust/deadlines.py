"""Deadlines and late flags.

- Filing: the trustee files within 7 days of signing the trust documents (《慈善法》 Art. 45).
  ``late_filing`` when the filing date is more than 7 days after signing.
- Change filing: a change of trustee or of other filed items is re-filed within 7 days
  (《慈善信托管理办法》, 2017). ``late`` when the filing date is more than 7 days after the
  change took effect.
- Termination: the trustee reports a termination to the filing authority within 15 days of
  the terminating event (《信托法》 Art. 70, applied through 《慈善法》 Art. 50). ``late`` when
  the report is more than 15 days after the termination date.
- Annual report: the law asks for a report at least once a year without a date. This service
  sets the due date at 30 April of the following year (four months after the year closes, as
  for other charitable bodies' annual work reports); a report submitted after it is ``late``.
"""

from __future__ import annotations

from datetime import date, timedelta

FILING_DAYS = 7
CHANGE_DAYS = 7
TERMINATION_DAYS = 15
REPORT_DUE_MONTH = 4
REPORT_DUE_DAY = 30


def filing_due(signed_on: date) -> date:
    """The last day to file a trust signed on ``signed_on``."""
    return signed_on + timedelta(days=FILING_DAYS)


def filing_late(signed_on: date, filed_on: date) -> bool:
    return filed_on > filing_due(signed_on)


def change_due(effective_on: date) -> date:
    return effective_on + timedelta(days=CHANGE_DAYS)


def change_late(effective_on: date, filed_on: date) -> bool:
    """A change filed before it takes effect is never late."""
    return filed_on > change_due(effective_on)


def termination_due(terminated_on: date) -> date:
    return terminated_on + timedelta(days=TERMINATION_DAYS)


def termination_late(terminated_on: date, reported_on: date) -> bool:
    return reported_on > termination_due(terminated_on)


def report_due(year: int) -> date:
    """The last day to submit the annual report on ``year``: 30 April of the next year."""
    return date(year + 1, REPORT_DUE_MONTH, REPORT_DUE_DAY)


def report_late(year: int, submitted_on: date) -> bool:
    return submitted_on > report_due(year)


def report_overdue(year: int, today: date) -> bool:
    """Whether a report on ``year`` that has not come in is overdue ``today``."""
    return today > report_due(year)
