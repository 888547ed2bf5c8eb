"""Every query on regions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.pagination import PageParams, keyset
from app.region.models import Region
from app.region.schemas import RegionListFilter
from app.security.scope import scope_filter, scope_range


class RegionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str, *, for_update: bool = False) -> Region | None:
        query = select(Region).where(col(Region.code) == code, col(Region.deleted_at).is_(None))
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_many(self, codes: Sequence[str]) -> Sequence[Region]:
        if not codes:
            return []
        query = select(Region).where(col(Region.code).in_(codes)).order_by(col(Region.code))
        return (await self.session.execute(query)).scalars().all()

    async def existing_codes(self) -> set[str]:
        return set((await self.session.execute(select(col(Region.code)))).scalars().all())

    async def children(self, code: str) -> Sequence[Region]:
        query = (
            select(Region)
            .where(col(Region.parent_code) == code, col(Region.deleted_at).is_(None))
            .order_by(col(Region.code))
        )
        return (await self.session.execute(query)).scalars().all()

    async def subtree(self, code: str, levels: Sequence[str]) -> Sequence[Row[str, str, str, str | None]]:
        """``(code, name, level, parent_code)`` of the live region ``code`` and of its live
        descendants of the given levels, by code, in one query (a tree is then linked by
        ``parent_code``); no row for ``code`` when it is not a live region."""
        below = and_(scope_range(col(Region.code), code), col(Region.level).in_(levels)) if levels else None
        query = (
            select(col(Region.code), col(Region.name), col(Region.level), col(Region.parent_code))
            .where(
                col(Region.deleted_at).is_(None),
                or_(col(Region.code) == code, below) if below is not None else col(Region.code) == code,
            )
            .order_by(col(Region.code))
        )
        return (await self.session.execute(query)).all()

    def _filtered(self, scope: str, f: RegionListFilter) -> Select[Region]:
        query = select(Region).where(col(Region.deleted_at).is_(None), scope_filter(col(Region.code), scope))
        if f.parent:
            query = query.where(col(Region.parent_code) == f.parent)
        if f.level:
            query = query.where(col(Region.level) == f.level)
        if f.q:
            query = query.where(
                or_(
                    col(Region.name).contains(f.q, autoescape=True),
                    col(Region.code).startswith(f.q, autoescape=True),
                )
            )
        if f.valid_on:
            query = query.where(
                or_(col(Region.valid_from).is_(None), col(Region.valid_from) <= f.valid_on),
                or_(col(Region.valid_to).is_(None), col(Region.valid_to) >= f.valid_on),
            )
        return query

    async def search(
        self, scope: str, params: PageParams, filters: RegionListFilter
    ) -> tuple[Sequence[Region], int | None]:
        """A page of the live regions inside ``scope`` matching ``filters``."""
        base = self._filtered(scope, filters)
        rows = (await self.session.execute(keyset(base, [col(Region.code)], params))).scalars().all()
        total = None
        if params.count:
            counted = select(func.count()).select_from(base.subquery())
            total = int((await self.session.execute(counted)).scalar_one())
        return rows, total
