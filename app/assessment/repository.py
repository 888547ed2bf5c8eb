"""Every query on assessments.

A person's *latest* assessment is the current one (live, not superseded by an amendment) with
the latest ``assessed_on``; ties go to the one recorded last (``created_at``, then the
time-ordered id).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.assessment.models import Assessment
from app.assessment.schemas import AssessmentFilter
from app.core.pagination import PageParams, keyset
from app.security.scope import scope_filter


def _current() -> list[Any]:
    """Conditions of an assessment that counts: not deleted, not amended."""
    return [col(Assessment.deleted_at).is_(None), col(Assessment.superseded_by).is_(None)]


def _latest_rank() -> Any:
    return (
        func.row_number()
        .over(
            partition_by=col(Assessment.id_number_hash),
            order_by=(
                col(Assessment.assessed_on).desc(),
                col(Assessment.created_at).desc(),
                col(Assessment.id).desc(),
            ),
        )
        .label("rank")
    )


def _no_later_assessment() -> Any:
    """SQL condition: no current assessment of the same person is later than this one."""
    later = aliased(Assessment)
    return ~exists().where(
        col(later.id_number_hash) == col(Assessment.id_number_hash),
        col(later.deleted_at).is_(None),
        col(later.superseded_by).is_(None),
        or_(
            col(later.assessed_on) > col(Assessment.assessed_on),
            and_(
                col(later.assessed_on) == col(Assessment.assessed_on),
                or_(
                    col(later.created_at) > col(Assessment.created_at),
                    and_(
                        col(later.created_at) == col(Assessment.created_at),
                        col(later.id) > col(Assessment.id),
                    ),
                ),
            ),
        ),
    )


@functools.lru_cache(maxsize=16)
def _latest_at_levels(level_codes: tuple[str, ...]) -> Select[Any]:
    return select(col(Assessment.id_number_hash)).where(
        *_current(), col(Assessment.level_code).in_(level_codes), _no_later_assessment()
    )


class AssessmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, assessment_id: uuid.UUID, scope: str, *, for_update: bool = False
    ) -> Assessment | None:
        """A live assessment inside ``scope`` (the scope is part of the query)."""
        query = select(Assessment).where(
            col(Assessment.id) == assessment_id,
            col(Assessment.deleted_at).is_(None),
            scope_filter(col(Assessment.region_code), scope),
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    def _filtered(self, scope: str, filters: AssessmentFilter, id_hash: str | None) -> Select[Assessment]:
        query = select(Assessment).where(
            col(Assessment.deleted_at).is_(None), scope_filter(col(Assessment.region_code), scope)
        )
        if not filters.include_superseded:
            query = query.where(col(Assessment.superseded_by).is_(None))
        if filters.region_code:
            query = query.where(scope_filter(col(Assessment.region_code), filters.region_code))
        if filters.level_code:
            query = query.where(col(Assessment.level_code) == filters.level_code)
        if id_hash:
            query = query.where(col(Assessment.id_number_hash) == id_hash)
        if filters.assessed_from:
            query = query.where(col(Assessment.assessed_on) >= filters.assessed_from)
        if filters.assessed_to:
            query = query.where(col(Assessment.assessed_on) <= filters.assessed_to)
        if filters.due_before:
            # Only a person's latest assessment decides when they are due again.
            query = query.where(
                col(Assessment.next_due_on) < filters.due_before,
                col(Assessment.superseded_by).is_(None),
                _no_later_assessment(),
            )
        return query

    async def search(
        self, scope: str, params: PageParams, filters: AssessmentFilter, *, id_hash: str | None = None
    ) -> tuple[Sequence[Assessment], int | None]:
        """A page of the assessments inside ``scope`` matching ``filters``; ``id_hash`` is the
        blind index of ``filters.id_number`` (the repository never sees the PII key)."""
        base = self._filtered(scope, filters, id_hash)
        rows = (
            (await self.session.execute(keyset(base, [col(Assessment.id)], params, descending=True)))
            .scalars()
            .all()
        )
        total = None
        if params.count:
            counted = select(func.count()).select_from(base.subquery())
            total = int((await self.session.execute(counted)).scalar_one())
        return rows, total

    async def history(self, id_hash: str, scope: str) -> Sequence[Assessment]:
        """Every live assessment of one person inside ``scope``, newest first (amended ones too)."""
        query = (
            select(Assessment)
            .where(
                col(Assessment.id_number_hash) == id_hash,
                col(Assessment.deleted_at).is_(None),
                scope_filter(col(Assessment.region_code), scope),
            )
            .order_by(
                col(Assessment.assessed_on).desc(),
                col(Assessment.created_at).desc(),
                col(Assessment.id).desc(),
            )
        )
        return (await self.session.execute(query)).scalars().all()

    @staticmethod
    def latest_at_levels(level_codes: Sequence[str]) -> Select[Any]:
        """A selection (not run) of the ID hashes whose latest assessment has one of
        ``level_codes``: other domains embed it in their own statement. Built once per set of
        levels (it holds no parameters of a request)."""
        return _latest_at_levels(tuple(sorted(set(level_codes))))

    async def latest_of(self, id_hashes: Sequence[str]) -> dict[str, tuple[str, date]]:
        """``{ID hash: (level code, assessed on)}`` of each person's latest assessment."""
        if not id_hashes:
            return {}
        ranked = (
            select(
                col(Assessment.id_number_hash).label("id_hash"),
                col(Assessment.level_code).label("level_code"),
                col(Assessment.assessed_on).label("assessed_on"),
                _latest_rank(),
            )
            .where(*_current(), col(Assessment.id_number_hash).in_(sorted(set(id_hashes))))
            .subquery()
        )
        query = select(ranked.c.id_hash, ranked.c.level_code, ranked.c.assessed_on).where(ranked.c.rank == 1)
        return {str(h): (str(level), day) for h, level, day in (await self.session.execute(query)).all()}

    async def latest_due_of(self, id_hashes: Sequence[str]) -> dict[str, tuple[str, date, date]]:
        """``{ID hash: (level code, assessed on, next due on)}`` of each person's latest assessment."""
        if not id_hashes:
            return {}
        ranked = (
            select(
                col(Assessment.id_number_hash).label("id_hash"),
                col(Assessment.level_code).label("level_code"),
                col(Assessment.assessed_on).label("assessed_on"),
                col(Assessment.next_due_on).label("next_due_on"),
                _latest_rank(),
            )
            .where(*_current(), col(Assessment.id_number_hash).in_(sorted(set(id_hashes))))
            .subquery()
        )
        query = select(
            ranked.c.id_hash, ranked.c.level_code, ranked.c.assessed_on, ranked.c.next_due_on
        ).where(ranked.c.rank == 1)
        return {
            str(h): (str(level), day, due) for h, level, day, due in (await self.session.execute(query)).all()
        }

    def _latest_in(self, region_code: str, as_of: date) -> Any:
        """Each person's latest assessment on or before ``as_of``, for people assessed in the
        region (the latest may lie elsewhere: a person who moved counts where they are now)."""
        people = select(col(Assessment.id_number_hash)).where(
            *_current(),
            col(Assessment.assessed_on) <= as_of,
            scope_filter(col(Assessment.region_code), region_code),
        )
        ranked = (
            select(
                col(Assessment.region_code).label("region_code"),
                col(Assessment.level_code).label("level_code"),
                col(Assessment.next_due_on).label("next_due_on"),
                _latest_rank(),
            )
            .where(
                *_current(),
                col(Assessment.assessed_on) <= as_of,
                col(Assessment.id_number_hash).in_(people),
            )
            .subquery()
        )
        return ranked

    async def level_counts(self, region_code: str, as_of: date) -> list[tuple[str, str, int]]:
        """``(region code, level code, people)`` over each person's latest assessment inside the region."""
        ranked = self._latest_in(region_code, as_of)
        query = (
            select(ranked.c.region_code, ranked.c.level_code, func.count())
            .where(ranked.c.rank == 1, scope_filter(ranked.c.region_code, region_code))
            .group_by(ranked.c.region_code, ranked.c.level_code)
        )
        return [(str(r), str(level), int(n)) for r, level, n in (await self.session.execute(query)).all()]

    async def assessed_counts(self, region_code: str, as_of: date) -> tuple[int, int]:
        """(people whose latest assessment is not yet due again, people ever assessed) in the region."""
        ranked = self._latest_in(region_code, as_of)
        current = func.sum(case((ranked.c.next_due_on > as_of, 1), else_=0))
        query = select(func.coalesce(current, 0), func.count()).where(
            ranked.c.rank == 1, scope_filter(ranked.c.region_code, region_code)
        )
        row = (await self.session.execute(query)).one()
        return int(row[0]), int(row[1])
