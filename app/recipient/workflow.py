"""The assistance workflow: which action moves a household from which status to which.

apply → ``applied`` → verify → ``verified`` → approve → ``approved`` ⇄ suspend/resume
``suspended``; approved or suspended → exit → ``exited``; applied or verified → reject →
``rejected``. ``review`` records a periodic review of an approved household and keeps it
approved.
"""

from __future__ import annotations

from typing import Literal

Status = Literal["applied", "verified", "approved", "suspended", "exited", "rejected"]
Action = Literal["verify", "approve", "suspend", "resume", "exit", "reject", "review"]

ACTIVE_STATUSES: frozenset[str] = frozenset({"applied", "verified", "approved", "suspended"})

MOVES: dict[str, dict[str, str]] = {
    "verify": {"applied": "verified"},
    "approve": {"verified": "approved"},
    "suspend": {"approved": "suspended"},
    "resume": {"suspended": "approved"},
    "exit": {"approved": "exited", "suspended": "exited"},
    "reject": {"applied": "rejected", "verified": "rejected"},
    "review": {"approved": "approved"},
}


class IllegalMove(ValueError):
    def __init__(self, action: str, status: str) -> None:
        allowed = sorted(MOVES.get(action, {}))
        super().__init__(
            f"cannot {action} a household that is {status}"
            + (f"; {action} applies to {', '.join(allowed)}" if allowed else "")
        )
        self.action = action
        self.status = status


def next_status(action: str, status: str) -> str:
    """The status after ``action``; raises :class:`IllegalMove` for any other move."""
    target = MOVES.get(action, {}).get(status)
    if target is None:
        raise IllegalMove(action, status)
    return target


def allowed_actions(status: str) -> list[str]:
    return sorted(action for action, moves in MOVES.items() if status in moves)
