"""Queries behind the recipient port: members with their household's facts, as plain rows."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, Table, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.recipient.models import Household, Member
from app.recipient.workflow import ACTIVE_STATUSES
from app.security.scope import scope_filter

_H: Table = Household.__table__  # type: ignore[attr-defined]
_M: Table = Member.__table__  # type: ignore[attr-defined]


def _people() -> Select[Any]:
    return (
        select(
            _M.c.id.label("member_id"),
            _M.c.household_id,
            _H.c.region_code,
            _M.c.name,
            _M.c.id_number_enc,
            _M.c.id_number_hash,
            _M.c.id_number_masked,
            _M.c.birth_date,
            _M.c.disability_grade,
            _M.c.living_alone,
            _M.c.parents_absent,
            _H.c.category.label("household_category"),
            _H.c.status.label("household_status"),
            _H.c.support_mode,
            _H.c.applied_on,
        )
        .join(_H, _H.c.id == _M.c.household_id)
        .where(_M.c.deleted_at.is_(None), _H.c.deleted_at.is_(None), _H.c.status.in_(ACTIVE_STATUSES))
    )


@functools.lru_cache(maxsize=64)
def _matching(
    scope: str,
    living_alone_born_by: date | None,
    tekun_at_home: bool,
    born_by: date | None,
    born_by_among: Select[Any] | None,
    disability_grades: tuple[int, ...],
    parents_absent_born_after: date | None,
    batch: int,
) -> Select[Any]:
    """The first batch of :meth:`PersonRepository.stream_matching`, built once for the same
    conditions (the statement holds their values, nothing read)."""
    conditions: list[Any] = []
    if living_alone_born_by is not None:
        conditions.append(and_(_M.c.living_alone.is_(True), _M.c.birth_date <= living_alone_born_by))
    if tekun_at_home:
        conditions.append(and_(_H.c.category == "tekun", _H.c.support_mode == "home"))
    if born_by is not None:
        born = _M.c.birth_date <= born_by
        conditions.append(
            born if born_by_among is None else and_(born, _M.c.id_number_hash.in_(born_by_among))
        )
    if disability_grades:
        conditions.append(_M.c.disability_grade.in_(disability_grades))
    if parents_absent_born_after is not None:
        conditions.append(and_(_M.c.parents_absent.is_(True), _M.c.birth_date > parents_absent_born_after))
    base = _people().where(scope_filter(_H.c.region_code, scope), or_(false(), *conditions))
    return base.order_by(_M.c.id).limit(batch)


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_hash(self, id_hash: str, scope: str) -> Row[Any] | None:
        """The person as a member of an active household inside ``scope`` (the first by
        household id when the register holds them twice)."""
        query = (
            _people()
            .where(_M.c.id_number_hash == id_hash, scope_filter(_H.c.region_code, scope))
            .order_by(_H.c.id)
            .limit(1)
        )
        row: Row[Any] | None = (await self.session.execute(query)).first()
        return row

    async def by_member_ids(self, member_ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
        if not member_ids:
            return []
        query = _people().where(_M.c.id.in_(list(member_ids)))
        return list((await self.session.execute(query)).all())

    async def stream_matching(
        self,
        scope: str,
        *,
        living_alone_born_by: date | None,
        tekun_at_home: bool,
        born_by: date | None,
        born_by_among: Select[Any] | None = None,
        disability_grades: tuple[int, ...],
        parents_absent_born_after: date | None,
        batch: int = 2000,
    ) -> AsyncIterator[list[Row[Any]]]:
        """Members of active households in scope meeting any of the given conditions, in
        batches in member id order."""
        first = _matching(
            scope,
            living_alone_born_by,
            tekun_at_home,
            born_by,
            born_by_among,
            tuple(disability_grades),
            parents_absent_born_after,
            batch,
        )
        after: uuid.UUID | None = None
        while True:
            query = first if after is None else first.where(_M.c.id > after)
            rows = list((await self.session.execute(query)).all())
            if not rows:
                return
            yield rows
            after = rows[-1].member_id
