"""Which report a later one has taken over from: ``superseded_on`` kept with every report.

Every report is kept, and on a day D the latest live report on or before D of an indicator,
region and period counts. A report's ``superseded_on`` is the ``as_of`` of the next live report
of the same indicator, region and period (next: a later ``as_of``, then written later, then a
larger id), or NULL while none follows it. So the report that counts on D is the one with
``as_of <= D`` and ``superseded_on`` NULL or after D: one filtered scan, where finding the
newest report of each pair otherwise takes a join of the reports with themselves.

``superseded_on`` is derived: each node keeps it from the reports it holds, as the unit of
work writes them (created through the API, or applied by sync from a county, whose own value
is recomputed here). It is not a figure anyone reports, so writing it is not a change of the
report: no new version, no change-log row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import FromClause, Table, and_, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession


def next_report_day(table: Table) -> Any:
    """The ``as_of`` of the next live report after each row of ``table`` (a scalar subquery
    correlated with the row), or NULL."""
    mine, later = table.c, table.alias("later").c
    return (
        select(func.min(later.as_of))
        .where(
            later.period == mine.period,
            later.indicator_code == mine.indicator_code,
            later.region_code == mine.region_code,
            later.deleted_at.is_(None),
            or_(
                later.as_of > mine.as_of,
                and_(
                    later.as_of == mine.as_of,
                    or_(
                        later.created_at > mine.created_at,
                        and_(later.created_at == mine.created_at, later.id > mine.id),
                    ),
                ),
            ),
        )
        .scalar_subquery()
    )


async def restitch(session: AsyncSession, table: Table, written: FromClause) -> int:
    """Set ``superseded_on`` again on every report of each indicator, region and period among
    the ``written`` rows (shaped like the table; aliased, not the table itself) — after they were
    written, in the same transaction. Reports are never edited into another indicator, region or
    period, only added or deleted, so those are all that can have changed. Rows whose value does
    not change are left alone; returns how many changed."""
    pairs = select(written.c.period, written.c.indicator_code, written.c.region_code)
    following = next_report_day(table)
    statement = (
        update(table)
        .where(
            tuple_(table.c.period, table.c.indicator_code, table.c.region_code).in_(pairs),
            table.c.superseded_on.is_distinct_from(following),
        )
        .values(superseded_on=following)
    )
    result = await session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]
