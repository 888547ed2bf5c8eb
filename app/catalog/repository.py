"""Aggregate queries over any registered dataset (never loading its rows)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Row, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.security.scope import scope_pattern


class CatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tallies(self, table: Table, scope: str, child_length: int) -> list[Row[Any]]:
        """(child prefix, origin, count) of live rows in scope, grouped."""
        child = func.substr(table.c.region_code, 1, child_length).label("child")
        query = (
            select(child, table.c.origin, func.count().label("n"))
            .where(table.c.deleted_at.is_(None), table.c.region_code.like(scope_pattern(scope)))
            .group_by(child, table.c.origin)
        )
        return list((await self.session.execute(query)).all())

    async def last_change(self, table: Table, scope: str) -> Any:
        query = select(func.max(table.c.updated_at)).where(table.c.region_code.like(scope_pattern(scope)))
        return (await self.session.execute(query)).scalar()

    async def rows(self, table: Table, scope: str, batch: int = 1000) -> AsyncIterator[list[Row[Any]]]:
        """Live rows in scope, in id order, a batch at a time."""
        after: uuid.UUID | None = None
        while True:
            query = select(table).where(
                table.c.deleted_at.is_(None), table.c.region_code.like(scope_pattern(scope))
            )
            if after is not None:
                query = query.where(table.c.id > after)
            found = list((await self.session.execute(query.order_by(table.c.id).limit(batch))).all())
            if not found:
                return
            yield found
            after = found[-1].id
