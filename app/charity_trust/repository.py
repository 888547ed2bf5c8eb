"""Every query on charity trusts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.charity_trust.filters import TrustFilter
from app.charity_trust.models import CharityTrust, TrustAnnualReport, TrustChange, TrustParty
from app.core.pagination import PageParams, keyset
from app.security.scope import scope_filter, scope_pattern

_TRUSTS: Table = CharityTrust.__table__  # type: ignore[attr-defined]


def _live_trust() -> Select[CharityTrust]:
    return select(CharityTrust).where(col(CharityTrust.deleted_at).is_(None))


@dataclass(frozen=True, slots=True)
class FigureRow:
    """Aggregates for one group of trusts (``key`` is a region-code prefix), in fen."""

    key: str
    count: int
    filed_in_year_count: int
    filed_in_year_fen: int
    in_force_count: int
    in_force_fen: int


def _figures() -> Select[Any]:
    """The statement of :meth:`TrustRepository.figures`, built once: parameters ``key_length``,
    ``year_start`` and ``year_end`` (the year filed in), ``as_of`` and ``scope`` (the region's
    LIKE pattern)."""
    as_of = bindparam("as_of", type_=Date)
    filed_on = col(CharityTrust.filed_on)
    in_year = and_(
        filed_on >= bindparam("year_start", type_=Date), filed_on <= bindparam("year_end", type_=Date)
    )
    in_force, amount, joined = _as_of(as_of)
    key = func.substr(col(CharityTrust.region_code), 1, bindparam("key_length", type_=Integer)).label("key")
    return (
        select(
            key,
            func.count(),
            func.sum(case((in_year, 1), else_=0)),
            func.sum(case((in_year, col(CharityTrust.initial_amount_fen)), else_=0)),
            func.sum(case((in_force, 1), else_=0)),
            func.sum(case((in_force, amount), else_=0)),
        )
        .select_from(joined)
        .where(*_filed_by(as_of), col(CharityTrust.region_code).like(bindparam("scope")))
        .group_by(key)
    )


def _as_of(as_of: ColumnElement[date]) -> tuple[ColumnElement[bool], ColumnElement[int], FromClause]:
    """A trust in force on ``as_of``, its amount as of that day, and the trusts joined with the
    property changes that make it (see :mod:`app.charity_trust.amounts`)."""
    delta = (
        select(
            col(TrustChange.trust_id).label("trust_id"),
            func.sum(col(TrustChange.amount_fen)).label("delta"),
        )
        .where(
            col(TrustChange.change_type) == "property",
            col(TrustChange.effective_on) <= as_of,
            col(TrustChange.deleted_at).is_(None),
        )
        .group_by(col(TrustChange.trust_id))
        .subquery()
    )
    terminated_on = col(CharityTrust.terminated_on)
    in_force = or_(terminated_on.is_(None), terminated_on > as_of)
    amount = col(CharityTrust.initial_amount_fen) + func.coalesce(delta.c.delta, 0)
    joined = _TRUSTS.outerjoin(delta, delta.c.trust_id == col(CharityTrust.id))
    return in_force, amount, joined


def _filed_by(as_of: ColumnElement[date]) -> list[ColumnElement[bool]]:
    """Conditions of a live trust filed on or before ``as_of`` (drafts never count)."""
    return [
        col(CharityTrust.deleted_at).is_(None),
        col(CharityTrust.status).in_(("filed", "terminated")),
        col(CharityTrust.filed_on) <= as_of,
    ]


def in_force_query(region: str, as_of: date) -> Select[Any]:
    """A selection (not run) of one row: the in-force amount (fen, NULL when none) of the trusts
    inside ``region`` on ``as_of`` — the sum of :meth:`TrustRepository.figures`' in-force
    amounts — for other domains to run beside their own selections."""
    day = bindparam(None, as_of, type_=Date)
    in_force, amount, joined = _as_of(day)
    return (
        select(func.sum(case((in_force, amount), else_=0)).label("in_force_fen"))
        .select_from(joined)
        .where(*_filed_by(day), col(CharityTrust.region_code).like(scope_pattern(region)))
    )


_FIGURES = _figures()


class TrustRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, trust_id: uuid.UUID, scope: str, *, for_update: bool = False) -> CharityTrust | None:
        """A live trust inside ``scope`` (the scope is part of the query)."""
        query = _live_trust().where(
            col(CharityTrust.id) == trust_id, scope_filter(col(CharityTrust.region_code), scope)
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def parties(self, trust_ids: Sequence[uuid.UUID], *, for_update: bool = False) -> list[TrustParty]:
        if not trust_ids:
            return []
        query = (
            select(TrustParty)
            .where(col(TrustParty.trust_id).in_(trust_ids), col(TrustParty.deleted_at).is_(None))
            .order_by(col(TrustParty.trust_id), col(TrustParty.role), col(TrustParty.position))
        )
        if for_update:
            query = query.with_for_update()
        return list((await self.session.execute(query)).scalars().all())

    async def filing_number_taken(
        self, region_code: str, filing_number: str, *, other_than: uuid.UUID | None = None
    ) -> bool:
        query = select(col(CharityTrust.id)).where(
            col(CharityTrust.region_code) == region_code,
            col(CharityTrust.filing_number) == filing_number,
            col(CharityTrust.deleted_at).is_(None),
        )
        if other_than is not None:
            query = query.where(col(CharityTrust.id) != other_than)
        return (await self.session.execute(query.limit(1))).first() is not None

    def _filtered(self, scope: str, f: TrustFilter) -> Select[CharityTrust]:
        query = _live_trust().where(scope_filter(col(CharityTrust.region_code), scope))
        if f.region_code:
            query = query.where(scope_filter(col(CharityTrust.region_code), f.region_code))
        if f.status:
            query = query.where(col(CharityTrust.status) == f.status)
        if f.signed_from:
            query = query.where(col(CharityTrust.signed_on) >= f.signed_from)
        if f.signed_to:
            query = query.where(col(CharityTrust.signed_on) <= f.signed_to)
        if f.filed_from:
            query = query.where(col(CharityTrust.filed_on) >= f.filed_from)
        if f.filed_to:
            query = query.where(col(CharityTrust.filed_on) <= f.filed_to)
        if f.q:
            query = query.where(
                or_(
                    col(CharityTrust.name).contains(f.q, autoescape=True),
                    col(CharityTrust.filing_number).contains(f.q, autoescape=True),
                )
            )
        if f.trustee_uscc:
            query = query.where(
                exists().where(
                    col(TrustParty.trust_id) == col(CharityTrust.id),
                    col(TrustParty.role) == "trustee",
                    col(TrustParty.uscc) == f.trustee_uscc,
                    col(TrustParty.deleted_at).is_(None),
                )
            )
        return query

    async def search(
        self, scope: str, params: PageParams, filters: TrustFilter
    ) -> tuple[Sequence[CharityTrust], int | None]:
        """A page of the live trusts inside ``scope`` matching ``filters``."""
        base = self._filtered(scope, filters)
        query = keyset(base, [col(CharityTrust.id)], params, descending=True)
        rows = (await self.session.execute(query)).scalars().all()
        total = None
        if params.count:
            counted = select(func.count()).select_from(base.subquery())
            total = int((await self.session.execute(counted)).scalar_one())
        return rows, total

    # change filings and annual reports

    async def changes(self, trust_id: uuid.UUID, params: PageParams | None = None) -> Sequence[TrustChange]:
        query = select(TrustChange).where(
            col(TrustChange.trust_id) == trust_id, col(TrustChange.deleted_at).is_(None)
        )
        if params is None:
            query = query.order_by(col(TrustChange.id))
        else:
            query = keyset(query, [col(TrustChange.id)], params)
        return (await self.session.execute(query)).scalars().all()

    async def reports(
        self, trust_id: uuid.UUID, params: PageParams | None = None
    ) -> Sequence[TrustAnnualReport]:
        query = select(TrustAnnualReport).where(
            col(TrustAnnualReport.trust_id) == trust_id, col(TrustAnnualReport.deleted_at).is_(None)
        )
        if params is None:
            query = query.order_by(col(TrustAnnualReport.year))
        else:
            query = keyset(query, [col(TrustAnnualReport.year), col(TrustAnnualReport.id)], params)
        return (await self.session.execute(query)).scalars().all()

    async def report_exists(self, trust_id: uuid.UUID, year: int) -> bool:
        query = select(col(TrustAnnualReport.id)).where(
            col(TrustAnnualReport.trust_id) == trust_id,
            col(TrustAnnualReport.year) == year,
            col(TrustAnnualReport.deleted_at).is_(None),
        )
        return (await self.session.execute(query.limit(1))).first() is not None

    # statistics

    async def figures(self, region: str, key_length: int, year: int, as_of: date) -> list[FigureRow]:
        """Trust figures inside ``region``, grouped by the first ``key_length`` characters of the
        region code (see :mod:`app.charity_trust.amounts` for the rules these mirror)."""
        params = {
            "key_length": key_length,
            "year_start": date(year, 1, 1),
            "year_end": date(year, 12, 31),
            "as_of": as_of,
            "scope": scope_pattern(region),
        }
        rows = (await self.session.execute(_FIGURES, params)).all()
        return [FigureRow(str(r[0]), *(int(v or 0) for v in r[1:])) for r in rows]

    async def count_missing_reports(self, region: str, year: int) -> int:
        """Trusts still filed, filed by the end of ``year``, with no report on ``year``."""
        query = (
            select(func.count())
            .select_from(CharityTrust)
            .where(
                col(CharityTrust.deleted_at).is_(None),
                col(CharityTrust.status) == "filed",
                col(CharityTrust.filed_on) <= date(year, 12, 31),
                scope_filter(col(CharityTrust.region_code), region),
                ~exists().where(
                    col(TrustAnnualReport.trust_id) == col(CharityTrust.id),
                    col(TrustAnnualReport.year) == year,
                    col(TrustAnnualReport.deleted_at).is_(None),
                ),
            )
        )
        return int((await self.session.execute(query)).scalar_one())
