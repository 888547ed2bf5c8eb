"""Running quality rules with aggregate SQL: counts, samples, pages, per-region tallies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, Table, case, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.quality.rules import Rule
from app.security.scope import scope_range


class QualityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_and_sample(
        self, rule: Rule, scope: str, today: date, sample: int
    ) -> tuple[int, list[Any]]:
        """The failing records in scope: how many, and the first ``sample`` keys — in one
        statement (the count rides along each sampled row as a window total)."""
        failing = rule.check(today).subquery()
        total = func.count().over().label("total")
        # Ordered by the total first (the same on every row): the planner then computes the set
        # whole, as it must for the count, instead of walking the key's index in order.
        query = (
            select(failing.c.key, total)
            .where(scope_range(failing.c.region_code, scope))
            .order_by(total, failing.c.key)
            .limit(sample)
        )
        rows = (await self.session.execute(query)).all()
        return (int(rows[0].total) if rows else 0), [row.key for row in rows]

    async def page(self, rule: Rule, scope: str, today: date, params: PageParams) -> Sequence[Row[Any]]:
        failing = rule.check(today).subquery()
        query = select(failing).where(scope_range(failing.c.region_code, scope))
        return (await self.session.execute(keyset(query, [failing.c.key], params))).all()

    async def tallies(
        self, table: Table, rules: Sequence[Rule], scope: str, today: date, child_length: int
    ) -> dict[str, tuple[int, int]]:
        """Per child region: the live records of ``table`` in scope, and how many of them fail
        any of ``rules`` (each keyed by the table's id) — one scan of the table, the failing
        ids computed once."""
        failing = union_all(*[select(rule.check(today).subquery().c.key) for rule in rules])
        child = func.substr(table.c.region_code, 1, child_length)
        query = (
            select(
                child,
                func.count(),
                func.coalesce(func.sum(case((table.c.id.in_(failing), 1), else_=0)), 0),
            )
            .where(table.c.deleted_at.is_(None), scope_range(table.c.region_code, scope))
            .group_by(child)
        )
        return {str(c): (int(n), int(bad)) for c, n, bad in (await self.session.execute(query)).all()}
