"""Every query on visits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.care.filters import VisitFilter
from app.care.models import Visit
from app.core.pagination import PageParams, keyset
from app.security.scope import scope_filter


class VisitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, visit_id: uuid.UUID, scope: str, *, for_update: bool = False) -> Visit | None:
        query = select(Visit).where(
            col(Visit.id) == visit_id,
            col(Visit.deleted_at).is_(None),
            scope_filter(col(Visit.region_code), scope),
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    def _filtered(self, scope: str, f: VisitFilter, id_hash: str | None) -> Select[Any]:
        query = select(Visit).where(
            col(Visit.deleted_at).is_(None), scope_filter(col(Visit.region_code), scope)
        )
        if f.region_code:
            query = query.where(scope_filter(col(Visit.region_code), f.region_code))
        if id_hash:
            query = query.where(col(Visit.id_number_hash) == id_hash)
        if f.household_id:
            query = query.where(col(Visit.household_id) == f.household_id)
        if f.visited_from:
            query = query.where(col(Visit.visited_on) >= f.visited_from)
        if f.visited_to:
            query = query.where(col(Visit.visited_on) <= f.visited_to)
        return query

    async def search(
        self, scope: str, params: PageParams, f: VisitFilter, *, id_hash: str | None
    ) -> tuple[list[Visit], int | None]:
        """A page of the visits in scope matching ``f``; ``id_hash`` is the blind index of
        ``f.id_number``."""
        query = self._filtered(scope, f, id_hash)
        rows = list(
            (await self.session.execute(keyset(query, [col(Visit.id)], params, descending=True))).scalars()
        )
        total = None
        if params.count:
            total = int(
                (await self.session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
            )
        return rows, total

    async def last_by_person(self, id_hashes: Sequence[str], on: date) -> dict[str, date]:
        """The latest visit on or before ``on`` of each person (any region on this node)."""
        if not id_hashes:
            return {}
        query = (
            select(col(Visit.id_number_hash), func.max(col(Visit.visited_on)))
            .where(
                col(Visit.id_number_hash).in_(sorted(set(id_hashes))),
                col(Visit.deleted_at).is_(None),
                col(Visit.visited_on) <= on,
            )
            .group_by(col(Visit.id_number_hash))
        )
        return {str(h): d for h, d in (await self.session.execute(query)).all()}

    async def last_by_household(self, household_ids: Sequence[uuid.UUID], on: date) -> dict[uuid.UUID, date]:
        """The latest visit on or before ``on`` to anyone of each household."""
        if not household_ids:
            return {}
        query = (
            select(col(Visit.household_id), func.max(col(Visit.visited_on)))
            .where(
                col(Visit.household_id).in_(set(household_ids)),
                col(Visit.deleted_at).is_(None),
                col(Visit.visited_on) <= on,
            )
            .group_by(col(Visit.household_id))
        )
        return {h: d for h, d in (await self.session.execute(query)).all() if h is not None}
