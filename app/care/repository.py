"""Every query on needs and referrals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.care.filters import NeedFilter, ReferralFilter
from app.care.models import Need, Referral, ReferralEvent, Resource
from app.care.workflow import ACTIVE_REFERRAL
from app.core.pagination import PageParams, keyset
from app.security.scope import scope_filter


def referral_overdue(today: date) -> ColumnElement[bool]:
    """SQL: an active referral not accepted by its accept-by day or not served by its due day."""
    return and_(
        col(Referral.deleted_at).is_(None),
        col(Referral.status).in_(ACTIVE_REFERRAL),
        or_(
            and_(col(Referral.status) == "dispatched", col(Referral.accept_by) < today),
            and_(col(Referral.due_on).is_not(None), col(Referral.due_on) < today),
        ),
    )


async def _page(
    session: AsyncSession, query: Select[Any], key: Any, params: PageParams
) -> tuple[list[Any], int | None]:
    rows = list((await session.execute(keyset(query, [key], params, descending=True))).scalars().all())
    total = None
    if params.count:
        total = int((await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one())
    return rows, total


class NeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, need_id: uuid.UUID, scope: str, *, for_update: bool = False) -> Need | None:
        query = select(Need).where(
            col(Need.id) == need_id,
            col(Need.deleted_at).is_(None),
            scope_filter(col(Need.region_code), scope),
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    def _filtered(self, scope: str, f: NeedFilter, id_hash: str | None, today: date) -> Select[Any]:
        query = select(Need).where(col(Need.deleted_at).is_(None), scope_filter(col(Need.region_code), scope))
        if f.region_code:
            query = query.where(scope_filter(col(Need.region_code), f.region_code))
        for column, value in (
            (Need.type, f.type),
            (Need.status, f.status),
            (Need.urgency, f.urgency),
            (Need.source, f.source),
            (Need.id_number_hash, id_hash),
        ):
            if value is not None:
                query = query.where(col(column) == value)
        if f.overdue is not None:
            late = exists().where(col(Referral.need_id) == col(Need.id), referral_overdue(today))
            query = query.where(late if f.overdue else ~late)
        return query

    async def search(
        self, scope: str, params: PageParams, f: NeedFilter, *, id_hash: str | None, today: date
    ) -> tuple[list[Need], int | None]:
        """A page of the needs in scope matching ``f``; ``id_hash`` is the blind index of
        ``f.id_number``, ``today`` the day that decides ``f.overdue``."""
        return await _page(self.session, self._filtered(scope, f, id_hash, today), col(Need.id), params)

    async def all_matching(
        self, scope: str, f: NeedFilter, *, id_hash: str | None, today: date
    ) -> list[Need]:
        """Every need matching ``f`` in scope, newest first (exports)."""
        query = self._filtered(scope, f, id_hash, today).order_by(col(Need.id).desc())
        return list((await self.session.execute(query)).scalars().all())

    async def existing_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        query = select(col(Need.discovery_key)).where(col(Need.discovery_key).in_(list(keys)))
        return {str(k) for k in (await self.session.execute(query)).scalars().all()}

    async def of_visits(self, visit_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        if not visit_ids:
            return {}
        query = (
            select(col(Need.visit_id), col(Need.id))
            .where(col(Need.visit_id).in_(list(visit_ids)), col(Need.deleted_at).is_(None))
            .order_by(col(Need.id))
        )
        out: dict[uuid.UUID, list[uuid.UUID]] = {}
        for visit_id, need_id in (await self.session.execute(query)).all():
            if visit_id is not None:
                out.setdefault(visit_id, []).append(need_id)
        return out


class ReferralRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, referral_id: uuid.UUID, scope: str, *, for_update: bool = False) -> Referral | None:
        query = select(Referral).where(
            col(Referral.id) == referral_id,
            col(Referral.deleted_at).is_(None),
            scope_filter(col(Referral.region_code), scope),
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def active_for(
        self, need_ids: Sequence[uuid.UUID], *, for_update: bool = False
    ) -> dict[uuid.UUID, Referral]:
        """The active referral of each need that has one."""
        if not need_ids:
            return {}
        query = select(Referral).where(
            col(Referral.need_id).in_(list(need_ids)),
            col(Referral.deleted_at).is_(None),
            col(Referral.status).in_(ACTIVE_REFERRAL),
        )
        if for_update:
            query = query.with_for_update()
        return {r.need_id: r for r in (await self.session.execute(query)).scalars().all()}

    async def search(
        self, scope: str, params: PageParams, f: ReferralFilter, *, today: date
    ) -> tuple[list[Referral], int | None]:
        """A page of the referrals in scope matching ``f``; ``today`` decides ``f.overdue``."""
        query = select(Referral).where(
            col(Referral.deleted_at).is_(None), scope_filter(col(Referral.region_code), scope)
        )
        if f.region_code:
            query = query.where(scope_filter(col(Referral.region_code), f.region_code))
        if f.status:
            query = query.where(col(Referral.status) == f.status)
        if f.need_id:
            query = query.where(col(Referral.need_id) == f.need_id)
        if f.resource_id:
            query = query.where(col(Referral.resource_id) == f.resource_id)
        if f.overdue is not None:
            late = referral_overdue(today)
            query = query.where(late if f.overdue else ~late)
        return await _page(self.session, query, col(Referral.id), params)

    async def events(self, referral_id: uuid.UUID) -> list[ReferralEvent]:
        query = (
            select(ReferralEvent)
            .where(col(ReferralEvent.referral_id) == referral_id, col(ReferralEvent.deleted_at).is_(None))
            .order_by(col(ReferralEvent.created_at), col(ReferralEvent.id))
        )
        return list((await self.session.execute(query)).scalars().all())

    async def resource_names(self, resource_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not resource_ids:
            return {}
        query = select(col(Resource.id), col(Resource.name)).where(col(Resource.id).in_(set(resource_ids)))
        return {rid: str(name) for rid, name in (await self.session.execute(query)).all()}

    async def closure_counts(self, region_code: str, start: date, end: date) -> tuple[int, int]:
        """(referrals dispatched in [start, end] that were served by ``end``, referrals dispatched)
        in the region."""
        row = (await self.session.execute(self.closure_query(region_code, start, end))).one()
        return int(row[0] or 0), int(row[1])

    @staticmethod
    def closure_query(region_code: str, start: date, end: date) -> Select[Any]:
        """A selection (not run) of one row: the two counts of :meth:`closure_counts`."""
        served = func.coalesce(
            func.sum(
                case((and_(col(Referral.served_on).is_not(None), col(Referral.served_on) <= end), 1), else_=0)
            ),
            0,
        )
        return select(served.label("served"), func.count().label("dispatched")).where(
            col(Referral.deleted_at).is_(None),
            scope_filter(col(Referral.region_code), region_code),
            col(Referral.dispatched_on) >= start,
            col(Referral.dispatched_on) <= end,
        )
