"""Charity-trust errors."""

from __future__ import annotations

import uuid

from app.core.errors import Conflict, NotFound


class TrustNotFound(NotFound):
    def __init__(self, trust_id: uuid.UUID) -> None:
        super().__init__(f"no charity trust {trust_id}")


class WrongStatus(Conflict):
    """The operation does not apply to a trust in its current status."""

    def __init__(self, detail: str, status: str, allowed: list[str]) -> None:
        super().__init__(detail, extra={"trust_status": status, "allowed_statuses": allowed})


class DuplicateReport(Conflict):
    def __init__(self, year: int) -> None:
        super().__init__(f"the annual report on {year} has been submitted already", extra={"year": year})
