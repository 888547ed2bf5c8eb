"""Care errors."""

from __future__ import annotations

import uuid

from app.core.errors import Conflict, NotFound


class NeedNotFound(NotFound):
    def __init__(self, need_id: uuid.UUID) -> None:
        super().__init__(f"no need {need_id}")


class ResourceNotFound(NotFound):
    def __init__(self, resource_id: uuid.UUID) -> None:
        super().__init__(f"no resource {resource_id}")


class ReferralNotFound(NotFound):
    def __init__(self, referral_id: uuid.UUID) -> None:
        super().__init__(f"no referral {referral_id}")


class VisitNotFound(NotFound):
    def __init__(self, visit_id: uuid.UUID) -> None:
        super().__init__(f"no visit {visit_id}")


class IllegalMove(Conflict):
    """A workflow move the record's status does not allow (its status and the allowed actions
    go under named keys, never over the problem's own ``status``)."""

    def __init__(self, detail: str, *, record_status: str, allowed: list[str], key: str) -> None:
        super().__init__(detail, extra={key: record_status, "allowed_actions": allowed})


class NoCapacity(Conflict):
    def __init__(self, resource_id: uuid.UUID, capacity: int) -> None:
        super().__init__(
            f"resource {resource_id} has no free place: all {capacity} are taken by active referrals",
            extra={"capacity": capacity},
        )
