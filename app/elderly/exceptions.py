"""Errors of the elderly profile."""

from __future__ import annotations

from app.core.errors import NotFound


class ProfileNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no assessment or assistance household of this person in your scope")
