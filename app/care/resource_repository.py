"""Every query on resources: visibility, search, capacity in use, matching candidates.

A principal sees the resources of its own region and below, and those of the regions that
contain it (a city's resource serves the principal's township too); it writes only the former.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Table, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.care.filters import ResourceFilter
from app.care.models import Referral, Resource
from app.care.workflow import ACTIVE_REFERRAL
from app.core.pagination import PageParams, keyset
from app.core.validators import normalize_region_code
from app.security.scope import ancestors, scope_filter

_R: Table = Resource.__table__  # type: ignore[attr-defined]


def delimited(values: Sequence[str | int]) -> str | None:
    """``,a,b,`` — how lists are stored, so that "contains b" is one LIKE."""
    return "," + ",".join(str(v) for v in values) + "," if values else None


def undelimited(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def serving(region_code: str) -> list[str]:
    """The codes whose resources serve ``region_code``: itself and every enclosing region,
    nearest first."""
    return [normalize_region_code(region_code), *reversed(ancestors(region_code))]


def _serving_actively(region_code: str) -> list[ColumnElement[bool]]:
    """Conditions of an active resource in the region or serving it."""
    return [
        _R.c.deleted_at.is_(None),
        _R.c.active.is_(True),
        or_(scope_filter(_R.c.region_code, region_code), _R.c.region_code.in_(ancestors(region_code))),
    ]


def visible(scope: str) -> ColumnElement[bool]:
    """SQL: a resource the principal of ``scope`` may read."""
    return or_(scope_filter(_R.c.region_code, scope), _R.c.region_code.in_(ancestors(scope)))


def _in_use() -> Any:
    return (
        select(func.count())
        .where(
            col(Referral.resource_id) == _R.c.id,
            col(Referral.status).in_(ACTIVE_REFERRAL),
            col(Referral.deleted_at).is_(None),
        )
        .correlate(_R)
        .scalar_subquery()
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """Who a matching query is for."""

    need_type: str
    region_code: str
    category: str | None
    age: int
    level: int | None
    disabled: bool


class ResourceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, resource_id: uuid.UUID, scope: str, *, for_update: bool = False) -> Resource | None:
        """A live resource the principal of ``scope`` may read."""
        query = select(Resource).where(
            col(Resource.id) == resource_id, col(Resource.deleted_at).is_(None), visible(scope)
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def in_use(self, resource_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Places held by active referrals, per resource."""
        if not resource_ids:
            return {}
        query = (
            select(col(Referral.resource_id), func.count())
            .where(
                col(Referral.resource_id).in_(set(resource_ids)),
                col(Referral.status).in_(ACTIVE_REFERRAL),
                col(Referral.deleted_at).is_(None),
            )
            .group_by(col(Referral.resource_id))
        )
        return {rid: int(n) for rid, n in (await self.session.execute(query)).all()}

    def _filtered(self, scope: str, f: ResourceFilter) -> Select[Any]:
        query = select(_R).where(_R.c.deleted_at.is_(None), visible(scope))
        if f.region_code:
            query = query.where(scope_filter(_R.c.region_code, f.region_code))
        if f.serving:
            query = query.where(_R.c.region_code.in_(serving(f.serving)))
        if f.need_type:
            query = query.where(_R.c.need_types.contains(f",{f.need_type},", autoescape=True))
        if f.provider_kind:
            query = query.where(_R.c.provider_kind == f.provider_kind)
        if f.active is not None:
            query = query.where(_R.c.active.is_(f.active))
        return query

    async def search(
        self, scope: str, params: PageParams, f: ResourceFilter
    ) -> tuple[list[Row[Any]], int | None]:
        query = self._filtered(scope, f)
        rows = list((await self.session.execute(keyset(query, [_R.c.id], params, descending=True))).all())
        total = None
        if params.count:
            total = int(
                (await self.session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
            )
        return rows, total

    async def all_matching(self, scope: str, f: ResourceFilter) -> list[Row[Any]]:
        query = self._filtered(scope, f).order_by(_R.c.id.desc())
        return list((await self.session.execute(query)).all())

    async def candidates(
        self, who: Candidate, *, offset: int, limit: int, resource_id: uuid.UUID | None = None
    ) -> list[Row[Any]]:
        """Active resources serving the person's region and need type whose eligibility the
        person meets and that have a free place, nearest first, then by free places (no limit
        first), name and id. Each row carries ``in_use``."""
        codes = serving(who.region_code)
        category: ColumnElement[bool] = _R.c.elig_categories.is_(None)
        if who.category:
            category = or_(category, _R.c.elig_categories.contains(f",{who.category},", autoescape=True))
        level: ColumnElement[bool] = _R.c.elig_assessment_levels.is_(None)
        if who.level is not None:
            level = or_(level, _R.c.elig_assessment_levels.contains(f",{who.level},", autoescape=True))
        conditions: list[Any] = [
            _R.c.deleted_at.is_(None),
            _R.c.active.is_(True),
            _R.c.region_code.in_(codes),
            _R.c.need_types.contains(f",{who.need_type},", autoescape=True),
            category,
            level,
            or_(_R.c.elig_min_age.is_(None), _R.c.elig_min_age <= who.age),
            or_(_R.c.elig_max_age.is_(None), _R.c.elig_max_age >= who.age),
        ]
        if not who.disabled:
            conditions.append(func.coalesce(_R.c.elig_disability, False).is_(False))
        if resource_id is not None:
            conditions.append(_R.c.id == resource_id)
        # The places in use are counted once per candidate: OFFSET 0 keeps PostgreSQL from
        # folding the subquery into the outer one (which would count again for the filter and
        # the ordering).
        found = select(_R, _in_use().label("in_use")).where(*conditions).offset(0).subquery("candidate")
        distance = case(
            {code: i for i, code in enumerate(codes)}, value=found.c.region_code, else_=len(codes)
        )
        query = (
            select(found)
            .where(or_(found.c.capacity.is_(None), found.c.capacity > found.c.in_use))
            .order_by(
                distance,
                case((found.c.capacity.is_(None), 0), else_=1),
                (found.c.capacity - found.c.in_use).desc(),
                found.c.name,
                found.c.id,
            )
            .offset(offset)
            .limit(limit)
        )
        return list((await self.session.execute(query)).all())

    async def need_types_serving(self, region_code: str) -> list[str]:
        """The stored need types of every active resource in the region or serving it."""
        query = select(_R.c.need_types).where(*_serving_actively(region_code))
        return [str(t) for t in (await self.session.execute(query)).scalars().all()]

    @staticmethod
    def need_types_serving_query(region_code: str) -> Select[Any]:
        """A selection (not run) of one row: the stored need types :meth:`need_types_serving`
        reads, joined by commas (NULL when there are none)."""
        return select(func.aggregate_strings(_R.c.need_types, ",").label("need_types")).where(
            *_serving_actively(region_code)
        )
