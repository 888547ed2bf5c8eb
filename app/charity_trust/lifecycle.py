"""The filing lifecycle: ``draft`` → file → ``filed`` → terminate → ``terminated``.

A draft may be edited and filed; a filed trust takes change filings, annual reports and its
termination; a terminated trust is final. A trust created with both a filing number and a
filing date is filed at once.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

Status = Literal["draft", "filed", "terminated"]
Operation = Literal["file", "edit", "change", "report", "terminate", "publish"]

STATUSES: tuple[str, ...] = ("draft", "filed", "terminated")

MOVES: dict[str, dict[str, str]] = {
    "file": {"draft": "filed"},
    "terminate": {"filed": "terminated"},
}

# What each operation needs the trust to be in (moves are operations too).
ALLOWED: dict[str, frozenset[str]] = {
    "file": frozenset({"draft"}),
    "edit": frozenset({"draft"}),
    "change": frozenset({"filed"}),
    "report": frozenset({"filed"}),
    "terminate": frozenset({"filed"}),
    "publish": frozenset({"filed", "terminated"}),
}

_VERBS = {
    "file": "file",
    "edit": "edit",
    "change": "file a change of",
    "report": "report on",
    "terminate": "terminate",
    "publish": "publish",
}


class IllegalOperation(ValueError):
    def __init__(self, operation: str, status: str) -> None:
        allowed = sorted(ALLOWED[operation])
        super().__init__(
            f"cannot {_VERBS[operation]} a trust that is {status}; only a {' or '.join(allowed)} trust"
        )
        self.operation = operation
        self.status = status
        self.allowed = allowed


def check(operation: str, status: str) -> None:
    """Raise :class:`IllegalOperation` unless ``operation`` applies to a trust in ``status``."""
    if status not in ALLOWED[operation]:
        raise IllegalOperation(operation, status)


def next_status(operation: str, status: str) -> str:
    """The status after a move (``file`` or ``terminate``)."""
    check(operation, status)
    return MOVES[operation][status]


def initial_status(filing_number: str | None, filed_on: date | None) -> str:
    """``filed`` when the filing number and date are both given at creation, else ``draft``."""
    return "filed" if filing_number and filed_on else "draft"


def operations(status: str) -> list[str]:
    return sorted(op for op, statuses in ALLOWED.items() if status in statuses)
