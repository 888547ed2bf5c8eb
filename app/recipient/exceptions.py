"""Recipient errors."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from app.core.errors import Conflict, NotFound

if TYPE_CHECKING:
    from app.recipient.models import DuplicateCase


class HouseholdNotFound(NotFound):
    def __init__(self, household_id: uuid.UUID) -> None:
        super().__init__(f"no household {household_id}")


class DuplicateRegistration(Conflict):
    """A member's ID number already belongs to another active household on this node.

    Inside the caller's scope the answer names that household. Outside it the answer names no
    region, household or person: it carries ``case`` (stored once the request has rolled back)
    and its reference ``case_ref``, which an admin of the common parent region can look up."""

    def __init__(
        self,
        member_index: int,
        other: uuid.UUID | None = None,
        other_region: str | None = None,
        *,
        case: DuplicateCase | None = None,
    ) -> None:
        self.case = case
        self.member_index = member_index
        extra: dict[str, object] = {"member_index": member_index}
        if other is not None:
            detail = f"member {member_index} is already registered in household {other} ({other_region})"
            extra["household_id"] = str(other)
        elif case is not None:
            detail = (
                f"member {member_index} is already registered in an active household outside your scope; "
                f"an administrator of the common parent region can look up case {case.ref}"
            )
            extra["case_ref"] = case.ref
        else:
            detail = f"member {member_index} is already registered in an active household outside your scope"
        super().__init__(detail, extra=extra)

    def without_case(self) -> DuplicateRegistration:
        """The same refusal without its case reference (when the case could not be stored)."""
        return DuplicateRegistration(self.member_index)


class IllegalTransition(Conflict):
    pass


class PaymentRunNotFound(NotFound):
    def __init__(self, run_id: uuid.UUID) -> None:
        super().__init__(f"no payment run {run_id}")
