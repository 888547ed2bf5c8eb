"""Indicator errors."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class IndicatorNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"no indicator {code}")


class IndicatorExists(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"indicator {code} already exists")


class ComputedIndicator(Conflict):
    """Reports are refused for an indicator computed from live data on this node."""

    def __init__(self, code: str, computation: str) -> None:
        super().__init__(
            f"indicator {code} is computed from live data ({computation}); reports are not used",
            extra={"computed_by": computation},
        )
