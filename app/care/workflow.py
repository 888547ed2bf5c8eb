"""The referral workflow and what each move does to the need.

A referral starts ``dispatched`` (派单); ``accept`` → ``accepted``; ``decline`` (from
dispatched or accepted) → ``declined`` and the need is ``open`` again; ``serve`` (from accepted,
or straight from dispatched: serving accepts it) → ``served`` and so is the need; ``close``
(from dispatched, accepted or served) → ``closed`` and the need is ``closed``. A referral is
*active* — it holds one place of the resource's capacity — while dispatched or accepted.

A need starts ``open``, becomes ``referred`` when a referral is made, and follows its referral
as above. The person may decline help (``decline`` → ``declined``) and a need recorded in error
or no longer wanted is ``withdraw``-n; both end its active referral. ``reopen`` brings a
declined or withdrawn need back to ``open``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ACTIVE_REFERRAL: frozenset[str] = frozenset({"dispatched", "accepted"})
OPEN_NEED: frozenset[str] = frozenset({"open", "referred"})

REFERRAL_MOVES: dict[str, dict[str, str]] = {
    "accept": {"dispatched": "accepted"},
    "decline": {"dispatched": "declined", "accepted": "declined"},
    "serve": {"dispatched": "served", "accepted": "served"},
    "close": {"dispatched": "closed", "accepted": "closed", "served": "closed"},
}
NEED_AFTER_REFERRAL: dict[str, str | None] = {
    "accept": None,
    "decline": "open",
    "serve": "served",
    "close": "closed",
}
NEED_MOVES: dict[str, dict[str, str]] = {
    "decline": {"open": "declined", "referred": "declined"},
    "withdraw": {"open": "withdrawn", "referred": "withdrawn"},
    "reopen": {"declined": "open", "withdrawn": "open"},
}


class IllegalMove(ValueError):
    def __init__(self, what: str, action: str, status: str, moves: dict[str, dict[str, str]]) -> None:
        allowed = sorted(moves.get(action, {}))
        super().__init__(
            f"cannot {action} a {what} that is {status}"
            + (f"; {action} applies to {', '.join(allowed)}" if allowed else "")
        )
        self.action = action
        self.status = status


def next_referral_status(action: str, status: str) -> str:
    target = REFERRAL_MOVES.get(action, {}).get(status)
    if target is None:
        raise IllegalMove("referral", action, status, REFERRAL_MOVES)
    return target


def next_need_status(action: str, status: str) -> str:
    target = NEED_MOVES.get(action, {}).get(status)
    if target is None:
        raise IllegalMove("need", action, status, NEED_MOVES)
    return target


def allowed_referral_actions(status: str) -> list[str]:
    return sorted(action for action, moves in REFERRAL_MOVES.items() if status in moves)


def allowed_need_actions(status: str) -> list[str]:
    return sorted(action for action, moves in NEED_MOVES.items() if status in moves)


@dataclass(frozen=True, slots=True)
class Overdue:
    reason: str
    since: date


def overdue(status: str, accept_by: date, due_on: date | None, today: date) -> Overdue | None:
    """Why an active referral is overdue on ``today``: not accepted by ``accept_by`` (three
    working days after dispatch) or not served by ``due_on``; None when it is not."""
    if status not in ACTIVE_REFERRAL:
        return None
    if status == "dispatched" and today > accept_by:
        return Overdue(f"not accepted within 3 working days (by {accept_by.isoformat()})", accept_by)
    if due_on is not None and today > due_on:
        return Overdue(f"not served by {due_on.isoformat()}", due_on)
    return None
