"""Every query on indicators, targets and reports."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    FromClause,
    Row,
    Select,
    String,
    Table,
    any_,
    bindparam,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import dialect_of, fetch_driver_rows
from app.core.pagination import PageParams, keyset
from app.indicator.models import Indicator, IndicatorReport, IndicatorTarget
from app.security.scope import ancestors, scope_filter


def _visible(column: Any, scope: str) -> ColumnElement[bool]:
    """Reference data of the scope's own region, the regions above it and the regions inside it."""
    return or_(col(column).in_([*ancestors(scope), scope]), scope_filter(col(column), scope))


class Positional(Protocol):
    """A result row read by position: a SQLAlchemy row or the driver's record."""

    def __getitem__(self, index: int, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


_REPORTS: Table = IndicatorReport.__table__  # type: ignore[attr-defined]


def _latest_reports(indicator_codes: ColumnElement[bool], regions: ColumnElement[bool]) -> Select[Any]:
    """Each live report of the period up to ``:as_of`` that no later one had taken over from by
    then (``superseded_on``, :mod:`app.indicator.supersession`) — the latest of each indicator
    and region, in one filtered scan."""
    mine = _REPORTS.c
    return select(
        mine.indicator_code, mine.region_code, mine.value, mine.numerator, mine.denominator, mine.as_of
    ).where(
        mine.period == bindparam("period"),
        indicator_codes,
        regions,
        mine.as_of <= bindparam("as_of"),
        mine.deleted_at.is_(None),
        or_(mine.superseded_on.is_(None), mine.superseded_on > bindparam("as_of")),
    )


_LATEST_REPORTS = _latest_reports(
    _REPORTS.c.indicator_code.in_(bindparam("indicator_codes", expanding=True)),
    _REPORTS.c.region_code.in_(bindparam("regions", expanding=True)),
)
LATEST_REPORTS_SQL = str(
    _latest_reports(
        _REPORTS.c.indicator_code == any_(bindparam("indicator_codes", type_=ARRAY(String))),
        _REPORTS.c.region_code == any_(bindparam("regions", type_=ARRAY(String))),
    ).compile(dialect=PGDialect_asyncpg())  # type: ignore[no-untyped-call]
)
"""The latest reports as PostgreSQL text: ``$1`` the period, ``$2`` the indicator codes, ``$3``
the region codes (arrays), ``$4`` the day."""


_TARGETS: Table = IndicatorTarget.__table__  # type: ignore[attr-defined]


def _region_targets(indicator_codes: ColumnElement[bool], regions: ColumnElement[bool]) -> Select[Any]:
    return select(_TARGETS.c.indicator_code, _TARGETS.c.region_code, _TARGETS.c.target).where(
        indicator_codes,
        _TARGETS.c.period == bindparam("period"),
        regions,
        _TARGETS.c.deleted_at.is_(None),
    )


_REGION_TARGETS = _region_targets(
    _TARGETS.c.indicator_code.in_(bindparam("indicator_codes", expanding=True)),
    _TARGETS.c.region_code.in_(bindparam("regions", expanding=True)),
)
REGION_TARGETS_SQL = str(
    _region_targets(
        _TARGETS.c.indicator_code == any_(bindparam("indicator_codes", type_=ARRAY(String))),
        _TARGETS.c.region_code == any_(bindparam("regions", type_=ARRAY(String))),
    ).compile(dialect=PGDialect_asyncpg())  # type: ignore[no-untyped-call]
)
"""Targets of some indicators in some regions as PostgreSQL text: ``$1`` the indicator codes,
``$2`` the period, ``$3`` the region codes."""


def side_by_side(selections: Sequence[Select[Any]]) -> Select[Any]:
    """One statement giving the row of each selection (each gives exactly one) side by side."""
    parts = [selection.subquery() for selection in selections]
    joined: FromClause = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())
    return select(*(column for part in parts for column in part.c)).select_from(joined)


async def one_row(session: AsyncSession, statement: Select[Any]) -> Sequence[Any]:
    """The one row of a statement such as :func:`side_by_side` gives."""
    row: Sequence[Any] = (await session.execute(statement)).one()
    return row


class IndicatorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str, scope: str | None = None, *, for_update: bool = False) -> Indicator | None:
        query = select(Indicator).where(col(Indicator.code) == code, col(Indicator.deleted_at).is_(None))
        if scope is not None:
            query = query.where(_visible(Indicator.region_code, scope))
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def exists(self, code: str) -> bool:
        query = select(col(Indicator.id)).where(col(Indicator.code) == code)
        return (await self.session.execute(query)).first() is not None

    async def existing_codes(self) -> set[str]:
        return set((await self.session.execute(select(col(Indicator.code)))).scalars().all())

    async def search(
        self, scope: str, params: PageParams, *, domain: str | None, aggregation: str | None
    ) -> Sequence[Indicator]:
        query = select(Indicator).where(
            col(Indicator.deleted_at).is_(None), _visible(Indicator.region_code, scope)
        )
        if domain:
            query = query.where(col(Indicator.domain) == domain)
        if aggregation:
            query = query.where(col(Indicator.aggregation) == aggregation)
        query = keyset(query, [col(Indicator.code)], params)
        return (await self.session.execute(query)).scalars().all()

    async def applicable(self, region_code: str) -> Sequence[Indicator]:
        """Definitions owned by the region or a region above it, by code."""
        query = (
            select(Indicator)
            .where(
                col(Indicator.deleted_at).is_(None),
                col(Indicator.region_code).in_([*ancestors(region_code), region_code]),
            )
            .order_by(col(Indicator.code))
        )
        return (await self.session.execute(query)).scalars().all()


class TargetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(
        self, indicator_code: str, period: str, region_code: str, *, for_update: bool = False
    ) -> IndicatorTarget | None:
        query = select(IndicatorTarget).where(
            col(IndicatorTarget.indicator_code) == indicator_code,
            col(IndicatorTarget.period) == period,
            col(IndicatorTarget.region_code) == region_code,
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def codes_with_target(self, period: str, region_code: str) -> set[str]:
        """Indicator codes with a target row (tombstones included) for the period and region."""
        query = select(col(IndicatorTarget.indicator_code)).where(
            col(IndicatorTarget.period) == period, col(IndicatorTarget.region_code) == region_code
        )
        return set((await self.session.execute(query)).scalars().all())

    async def search(
        self, indicator_code: str, scope: str, params: PageParams, *, period: str | None
    ) -> Sequence[IndicatorTarget]:
        query = select(IndicatorTarget).where(
            col(IndicatorTarget.indicator_code) == indicator_code,
            col(IndicatorTarget.deleted_at).is_(None),
            _visible(IndicatorTarget.region_code, scope),
        )
        if period:
            query = query.where(col(IndicatorTarget.period) == period)
        query = keyset(query, [col(IndicatorTarget.period), col(IndicatorTarget.region_code)], params)
        return (await self.session.execute(query)).scalars().all()

    async def in_scope(
        self, indicator_code: str, periods: Collection[str], scope: str
    ) -> Sequence[Row[str, str, str]]:
        """(period, region_code, target) of every live target inside ``scope``."""
        if not periods:
            return []
        query = select(
            col(IndicatorTarget.period), col(IndicatorTarget.region_code), col(IndicatorTarget.target)
        ).where(
            col(IndicatorTarget.indicator_code) == indicator_code,
            col(IndicatorTarget.period).in_(sorted(periods)),
            col(IndicatorTarget.deleted_at).is_(None),
            scope_filter(col(IndicatorTarget.region_code), scope),
        )
        return (await self.session.execute(query)).all()

    async def for_regions(
        self, indicator_codes: Collection[str], period: str, regions: Collection[str]
    ) -> Sequence[Positional]:
        """(indicator_code, region_code, target) for the given indicators, period and regions
        (on PostgreSQL run by the driver)."""
        codes, places = sorted(indicator_codes), sorted(regions)
        if dialect_of(self.session) == "postgresql":
            return await fetch_driver_rows(self.session, REGION_TARGETS_SQL, codes, period, places)
        params = {"indicator_codes": codes, "period": period, "regions": places}
        rows: Sequence[Positional] = (await self.session.execute(_REGION_TARGETS, params)).all()
        return rows


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(
        self, indicator_codes: Collection[str], period: str, regions: Collection[str], as_of: date
    ) -> Sequence[Positional]:
        """The latest report on or before ``as_of`` of each indicator and region, in one query:
        ``(indicator, region, value, numerator, denominator, the report's as_of)``.

        Ties on ``as_of`` go to the report written last (ids are time-ordered): the rule that
        ``superseded_on`` keeps (:mod:`app.indicator.supersession`), so the statement is one
        filtered scan. On PostgreSQL it is run by the driver (prepared once per connection).
        """
        codes, places = sorted(indicator_codes), sorted(regions)
        if dialect_of(self.session) == "postgresql":
            return await fetch_driver_rows(self.session, LATEST_REPORTS_SQL, period, codes, places, as_of)
        params = {"period": period, "indicator_codes": codes, "regions": places, "as_of": as_of}
        rows: Sequence[Positional] = (await self.session.execute(_LATEST_REPORTS, params)).all()
        return rows

    async def history(
        self,
        indicator_code: str,
        scope: str,
        params: PageParams,
        *,
        region_code: str | None,
        period: str | None,
    ) -> Sequence[IndicatorReport]:
        query = select(IndicatorReport).where(
            col(IndicatorReport.indicator_code) == indicator_code,
            col(IndicatorReport.deleted_at).is_(None),
            scope_filter(col(IndicatorReport.region_code), scope),
        )
        if region_code:
            query = query.where(col(IndicatorReport.region_code) == region_code)
        if period:
            query = query.where(col(IndicatorReport.period) == period)
        query = keyset(query, [col(IndicatorReport.as_of), col(IndicatorReport.id)], params, descending=True)
        return (await self.session.execute(query)).scalars().all()
