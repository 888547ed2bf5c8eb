"""Figures of the care loop for the indicators (computed from live data)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.care import roster
from app.care.repository import ReferralRepository
from app.care.resource_repository import ResourceRepository, undelimited


async def service_items(session: AsyncSession, region_code: str) -> int:
    """The distinct need types the active resources of the region (and of the regions that
    contain it, which serve it too) cover."""
    covered: set[str] = set()
    for stored in await ResourceRepository(session).need_types_serving(region_code):
        covered.update(undelimited(stored))
    return len(covered)


def service_items_query(region_code: str) -> Select[Any]:
    """A selection (not run) of one row that :func:`service_items_counted` turns into the
    figure :func:`service_items` gives — for other domains to run beside their own."""
    return ResourceRepository.need_types_serving_query(region_code)


def service_items_counted(stored: str | None) -> int:
    """The distinct need types in the need types :func:`service_items_query` selects."""
    return len(set(undelimited(stored)))


async def visit_coverage(session: AsyncSession, region_code: str, on: date) -> tuple[int, int]:
    """(people under a visit rule visited on time — not overdue — on ``on``, people under a
    visit rule) in the region."""
    return await roster.coverage(session, region_code, on)


async def referral_closure(
    session: AsyncSession, region_code: str, start: date, end: date
) -> tuple[int, int]:
    """(referrals dispatched between ``start`` and ``end`` and served by ``end``, referrals
    dispatched between them) in the region."""
    return await ReferralRepository(session).closure_counts(region_code, start, end)


def referral_closure_query(region_code: str, start: date, end: date) -> Select[Any]:
    """A selection (not run) of one row: ``(served, dispatched)`` as :func:`referral_closure`
    counts them (served may be NULL on SQLite when none are)."""
    return ReferralRepository.closure_query(region_code, start, end)
