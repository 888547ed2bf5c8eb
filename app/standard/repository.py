"""Every query on policy standards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.pagination import PageParams, keyset
from app.security.scope import scope_filter
from app.standard.models import PolicyStandard


def _in_force(query: Select[Any], kind: str, regions: Sequence[str], on: date) -> Select[Any]:
    """``query`` limited to the standard of the most specific region in force on ``on``."""
    return (
        query.where(
            col(PolicyStandard.kind) == kind,
            col(PolicyStandard.region_code).in_(regions),
            col(PolicyStandard.effective_from) <= on,
            col(PolicyStandard.deleted_at).is_(None),
        )
        .order_by(col(PolicyStandard.region_code).desc(), col(PolicyStandard.effective_from).desc())
        .limit(1)
    )


class StandardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, kind: str, region_code: str, effective_from: date) -> PolicyStandard | None:
        query = select(PolicyStandard).where(
            col(PolicyStandard.kind) == kind,
            col(PolicyStandard.region_code) == region_code,
            col(PolicyStandard.effective_from) == effective_from,
            col(PolicyStandard.deleted_at).is_(None),
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def effective(self, kind: str, regions: Sequence[str], on: date) -> PolicyStandard | None:
        """The value of the most specific region (the longest code) in force on ``on``."""
        query = _in_force(select(PolicyStandard), kind, regions, on)
        found: PolicyStandard | None = (await self.session.execute(query)).scalar_one_or_none()
        return found

    @staticmethod
    def effective_value(kind: str, regions: Sequence[str], on: date) -> Select[Any]:
        """A selection (not run) of one row: the value :meth:`effective` finds, or NULL."""
        found = _in_force(select(col(PolicyStandard.value)), kind, regions, on)
        return select(found.scalar_subquery().label("value"))

    async def in_force(self, kind: str, on: date) -> list[tuple[str, str]]:
        """``(region code, value)`` in force on ``on`` for every region that sets the kind."""
        rank = (
            func.row_number()
            .over(
                partition_by=col(PolicyStandard.region_code),
                order_by=col(PolicyStandard.effective_from).desc(),
            )
            .label("rank")
        )
        ranked = (
            select(col(PolicyStandard.region_code), col(PolicyStandard.value), rank)
            .where(
                col(PolicyStandard.kind) == kind,
                col(PolicyStandard.effective_from) <= on,
                col(PolicyStandard.deleted_at).is_(None),
            )
            .subquery()
        )
        query = select(ranked.c.region_code, ranked.c.value).where(ranked.c.rank == 1)
        return [(str(r), str(v)) for r, v in (await self.session.execute(query)).all()]

    async def search(
        self,
        scope_regions: Sequence[str],
        scope: str,
        params: PageParams,
        *,
        kind: str | None,
        region_code: str | None,
    ) -> Sequence[PolicyStandard]:
        # Standards of the caller's own region and of every region above it apply to it.
        query = select(PolicyStandard).where(
            col(PolicyStandard.deleted_at).is_(None),
            col(PolicyStandard.region_code).in_(scope_regions)
            | scope_filter(col(PolicyStandard.region_code), scope),
        )
        if kind:
            query = query.where(col(PolicyStandard.kind) == kind)
        if region_code:
            query = query.where(col(PolicyStandard.region_code) == region_code)
        query = keyset(query, [col(PolicyStandard.id)], params)
        return (await self.session.execute(query)).scalars().all()
