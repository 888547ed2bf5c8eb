"""Recipient errors."""

from __future__ import annotations

import uuid

from app.core.errors import Conflict, NotFound


class HouseholdNotFound(NotFound):
    def __init__(self, household_id: uuid.UUID) -> None:
        super().__init__(f"no household {household_id}")


class DuplicateRegistration(Conflict):
    """A member's ID number already belongs to another active household on this node."""

    def __init__(self, member_index: int, other: uuid.UUID | None, other_region: str | None) -> None:
        if other is not None:
            detail = f"member {member_index} is already registered in household {other} ({other_region})"
            extra = {"household_id": str(other), "member_index": member_index}
        else:
            detail = f"member {member_index} is already registered in another region"
            extra = {"member_index": member_index}
        super().__init__(detail, extra=extra)


class IllegalTransition(Conflict):
    pass


class PaymentRunNotFound(NotFound):
    def __init__(self, run_id: uuid.UUID) -> None:
        super().__init__(f"no payment run {run_id}")
