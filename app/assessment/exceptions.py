"""Assessment errors."""

from __future__ import annotations

import uuid

from app.core.errors import Conflict, NotFound


class AssessmentNotFound(NotFound):
    def __init__(self, assessment_id: uuid.UUID) -> None:
        super().__init__(f"no assessment {assessment_id}")


class AlreadyAmended(Conflict):
    """Only the current version of an assessment can be amended."""

    def __init__(self, assessment_id: uuid.UUID, superseded_by: uuid.UUID) -> None:
        super().__init__(
            f"assessment {assessment_id} was already amended by {superseded_by}; amend that one",
            extra={"superseded_by": str(superseded_by)},
        )
