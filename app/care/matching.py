"""Matching a need with resources (服务找人): those that serve the need's type in a region that
contains the person's, whose eligibility the person meets and that have a free place — found
by one query, ranked nearest first and then by free places, each with why it qualifies."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.care import eligibility, needs, people, resources
from app.care.resource_repository import Candidate, ResourceRepository
from app.care.schemas import MatchRead
from app.core.clock import clock
from app.core.errors import BadRequest
from app.core.pagination import Page, PageParams
from app.security.principal import Principal
from app.security.scope import region_level


def _item(row: Row[Any], person_region: str, need_type: str, person: eligibility.PersonFacts) -> MatchRead:
    in_use = int(row.in_use)
    met, _failed = eligibility.check(resources.eligibility_of(row), person)
    why = [
        eligibility.type_reason(need_type),
        eligibility.region_reason(row.region_code, person_region),
        eligibility.capacity_reason(row.capacity, in_use),
        *met,
    ]
    return MatchRead(
        resource_id=row.id,
        name=row.name,
        provider=row.provider,
        provider_kind=row.provider_kind,
        region_code=row.region_code,
        level=region_level(row.region_code),
        distance=eligibility.distance(row.region_code, person_region),
        free_capacity=eligibility.free_places(row.capacity, in_use),
        why=why,
        resource=resources.shape(row, in_use),
    )


def _offset(params: PageParams) -> int:
    if not params.after:
        return 0
    value = params.after[0]
    if not isinstance(value, int) or value < 0:
        raise BadRequest("unknown cursor; start again without one")
    return value


async def matches(
    session: AsyncSession, principal: Principal, need_id: uuid.UUID, params: PageParams
) -> Page[MatchRead]:
    need = await needs.load(session, principal, need_id)
    person, _member = await people.facts(
        session, principal.region, need.id_number_hash, need.birth_date, clock.today()
    )
    offset = _offset(params)
    who = Candidate(
        need_type=need.type,
        region_code=need.region_code,
        category=person.category,
        age=person.age,
        level=person.level,
        disabled=person.disability_grade is not None,
    )
    rows = await ResourceRepository(session).candidates(who, offset=offset, limit=params.limit + 1)
    shown = rows[: params.limit]
    # The ranking moves as places are taken, so the cursor is a position in it, not a key.
    next_cursor = params.codec.encode([offset + len(shown)]) if len(rows) > params.limit else None
    return Page[MatchRead](
        items=[_item(row, need.region_code, need.type, person) for row in shown], next_cursor=next_cursor
    )
