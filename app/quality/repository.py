"""Running quality rules with aggregate SQL: counts, samples, pages, per-region tallies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Row, Select, Table, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.quality import sweeps
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
        rows = (await self.session.execute(_counted(rule, scope, today, sample))).all()
        return (int(rows[0].total) if rows else 0), [row.key for row in rows]

    async def each_count_and_sample(
        self, rules: Sequence[Rule], scope: str, today: date, sample: int
    ) -> list[tuple[int, list[Any]]]:
        """:meth:`count_and_sample` of each of ``rules`` (keys of one type) in one statement:
        each rule's own statement, their rows put together (one round trip, not one a rule)."""
        counted = [_counted(rule, scope, today, sample).subquery() for rule in rules]
        query = union_all(*[select(literal(i), c.c.key, c.c.total) for i, c in enumerate(counted)])
        found: list[tuple[int, list[Any]]] = [(0, []) for _ in rules]
        for i, key, total in (await self.session.execute(query)).all():
            found[i] = (int(total), [*found[i][1], key])
        # The rows of a rule in the statement's order: the keys put back in theirs.
        return [(count, sorted(keys)) for count, keys in found]

    async def counts_and_samples(
        self, table: Table, rules: Sequence[Rule], scope: str, today: date, sample: int
    ) -> list[tuple[int, list[Any]]]:
        """:meth:`count_and_sample` of each of ``rules`` from one sweep of ``table``
        (:mod:`app.quality.sweeps`), in one statement: the failing records in scope are found
        once, then counted (one row of totals) and the first ``sample`` keys of each rule
        taken from them."""
        swept = sweeps.sweep(table, rules, today, sweeps.READING).subquery()
        flags = [swept.c[f"f{i}"] for i in range(len(rules))]
        failing = (
            select(swept.c.key, *flags)
            .where(scope_range(swept.c.region_code, scope), or_(*[flag == 1 for flag in flags]))
            .cte("failing")
        )
        totals = select(
            literal(-1).label("rule"),
            cast(null(), failing.c.key.type).label("key"),
            *[func.coalesce(func.sum(failing.c[f"f{i}"]), 0).label(f"total{i}") for i in range(len(rules))],
        )
        firsts = [_first_keys(failing, i, len(rules), sample) for i in range(len(rules))]
        # The keys' rows first: a compound statement's columns take the types of its first
        # select (the key's type decoded, as in the rule's own statement).
        rows = (await self.session.execute(union_all(*firsts, totals))).all()
        counts = next(row for row in rows if row[0] == -1)
        keys: list[list[Any]] = [[] for _ in rules]
        for row in rows:
            if row[0] >= 0:
                keys[row[0]].append(row[1])
        return [(int(counts[2 + i]), sorted(keys[i])) for i in range(len(rules))]

    async def page(self, rule: Rule, scope: str, today: date, params: PageParams) -> Sequence[Row[Any]]:
        failing = rule.check(today).subquery()
        query = select(failing).where(scope_range(failing.c.region_code, scope))
        return (await self.session.execute(keyset(query, [failing.c.key], params))).all()

    async def _swept_tallies(
        self, table: Table, rules: Sequence[Rule], scope: str, today: date, child_length: int
    ) -> dict[str, tuple[int, int]]:
        """:meth:`tallies` from one sweep of the table: each record counted, and counted as
        failing when any rule's flag is up."""
        swept = sweeps.sweep(table, rules, today, sweeps.COUNTING).subquery()
        failing = or_(*[swept.c[f"f{i}"] == 1 for i in range(len(rules))])
        per_code = (
            select(
                swept.c.region_code.label("code"),
                func.count().label("total"),
                func.sum(case((failing, 1), else_=0)).label("failing"),
            )
            .where(scope_range(swept.c.region_code, scope))
            .group_by(swept.c.region_code)
        )
        return await self._by_child(per_code.subquery("tally"), child_length)

    async def _by_child(self, per_code: Any, child_length: int) -> dict[str, tuple[int, int]]:
        """``(code, total, failing)`` rows summed per child region. Records are grouped by their
        own code first (a plain column: fewer, cheaper groups), then the few codes by child."""
        child = func.substr(per_code.c.code, 1, child_length)
        query = select(
            child, func.sum(per_code.c.total), func.coalesce(func.sum(per_code.c.failing), 0)
        ).group_by(child)
        return {str(c): (int(n), int(bad)) for c, n, bad in (await self.session.execute(query)).all()}

    async def tallies(
        self, table: Table, rules: Sequence[Rule], scope: str, today: date, child_length: int
    ) -> dict[str, tuple[int, int]]:
        """Per child region: the live records of ``table`` in scope, and how many of them fail
        any of ``rules`` — one statement. The failing are counted from the rules' own rows
        (each keyed by the table's id, with the record's region code, live records only: a
        record failing two rules counts once), so the table is read once, for the count,
        rather than matched record by record with the failing ids."""
        if sweeps.decides(table, rules, sweeps.COUNTING):
            return await self._swept_tallies(table, rules, scope, today, child_length)
        live = (
            select(
                table.c.region_code.label("code"), func.count().label("total"), literal(0).label("failing")
            )
            .where(table.c.deleted_at.is_(None), scope_range(table.c.region_code, scope))
            .group_by(table.c.region_code)
        )
        found = union_all(*[_keys_and_codes(rule, today) for rule in rules]).subquery("found")
        failing = (
            select(found.c.region_code, literal(0), func.count(found.c.key.distinct()))
            .where(scope_range(found.c.region_code, scope))
            .group_by(found.c.region_code)
        )
        return await self._by_child(union_all(live, failing).subquery("tally"), child_length)


def _keys_and_codes(rule: Rule, today: date) -> Select[Any]:
    found = rule.check(today).subquery()
    return select(found.c.key, found.c.region_code)


def _first_keys(failing: Any, i: int, rules: int, sample: int) -> Select[Any]:
    """``(i, key, null…)`` for each of the first ``sample`` keys failing rule ``i``: the keys by
    their order (a top-N sort of the failing records, not a full one)."""
    first = (
        select(failing.c.key).where(failing.c[f"f{i}"] == 1).order_by(failing.c.key).limit(sample).subquery()
    )
    return select(literal(i), first.c.key, *[cast(null(), BigInteger) for _ in range(rules)])


def _counted(rule: Rule, scope: str, today: date, sample: int) -> Select[Any]:
    """``(key, total)`` of the first ``sample`` records in scope failing ``rule``."""
    failing = rule.check(today).subquery()
    total = func.count().over().label("total")
    # Ordered by the total first (the same on every row): the planner then computes the set
    # whole, as it must for the count, instead of walking the key's index in order.
    return (
        select(failing.c.key, total)
        .where(scope_range(failing.c.region_code, scope))
        .order_by(total, failing.c.key)
        .limit(sample)
    )
