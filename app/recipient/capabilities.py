"""What recipients read from other domains: a hook ``create_app`` fills (the inbound side of
the recipient port).

A person's latest capability assessment lives in the assessment domain, which already reads
recipients; so recipients do not import it. ``app.main.create_app`` registers the assessment
service's look-up here; without one, nobody counts as assessed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession


class Capability(NamedTuple):
    """A person's latest current capability assessment."""

    level_code: str
    assessed_on: date
    next_due_on: date

    def current_on(self, day: date) -> bool:
        """Not yet due for re-assessment on ``day``."""
        return day < self.next_due_on


CapabilitySource = Callable[[AsyncSession, list[str]], Awaitable[dict[str, tuple[str, date, date]]]]
_capability_sources: list[CapabilitySource] = []


def register_capability_source(source: CapabilitySource) -> None:
    _capability_sources[:] = [source]


async def capabilities(session: AsyncSession, id_hashes: list[str]) -> dict[str, Capability]:
    """``{ID hash: Capability}`` of each person's latest assessment (by the blind index)."""
    if not _capability_sources or not id_hashes:
        return {}
    found = await _capability_sources[0](session, sorted(set(id_hashes)))
    return {h: Capability(*values) for h, values in found.items()}
