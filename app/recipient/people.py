"""People of the assistance register as other domains see them: a member with the facts of
their household, read as plain rows. Only members of active households (applied, verified,
approved, suspended) count. Other domains reach this through ``port``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.recipient.person_repository import PersonRepository
from app.recipient.repository import RecipientRepository


@dataclass(frozen=True, slots=True)
class Person:
    """A member of an active assistance household, with the household facts rules need."""

    member_id: uuid.UUID
    household_id: uuid.UUID
    region_code: str
    name: str
    id_number_enc: str
    id_number_hash: str
    id_number_masked: str
    birth_date: date
    disability_grade: int | None
    living_alone: bool
    parents_absent: bool
    household_category: str
    household_status: str
    support_mode: str | None
    registered_on: date


@dataclass(frozen=True, slots=True)
class PeopleCriteria:
    """Which members to stream: those meeting any condition that is set."""

    living_alone_born_by: date | None = None
    tekun_at_home: bool = False
    born_by: date | None = None
    born_by_among: Select[Any] | None = None
    """With ``born_by``: only members whose ID number's blind index this selection of ID hashes
    (from another domain's port, e.g. the severely assessed) holds."""
    disability_grades: tuple[int, ...] = ()
    parents_absent_born_after: date | None = None


def from_row(row: Row[Any]) -> Person:
    return Person(
        member_id=row.member_id,
        household_id=row.household_id,
        region_code=row.region_code,
        name=row.name,
        id_number_enc=row.id_number_enc,
        id_number_hash=row.id_number_hash,
        id_number_masked=row.id_number_masked,
        birth_date=row.birth_date,
        disability_grade=row.disability_grade,
        living_alone=bool(row.living_alone),
        parents_absent=bool(row.parents_absent),
        household_category=row.household_category,
        household_status=row.household_status,
        support_mode=row.support_mode,
        registered_on=row.applied_on,
    )


async def person(session: AsyncSession, id_hash: str, scope: str) -> Person | None:
    """The person (by the ID number's blind index) in an active household inside ``scope``."""
    row = await PersonRepository(session).by_hash(id_hash, scope)
    return from_row(row) if row is not None else None


async def people_by_member(session: AsyncSession, member_ids: Sequence[uuid.UUID]) -> list[Person]:
    """The given members (those still in active households), in any order."""
    return [from_row(row) for row in await PersonRepository(session).by_member_ids(member_ids)]


async def people(
    session: AsyncSession, scope: str, criteria: PeopleCriteria, *, batch: int = 2000
) -> AsyncIterator[list[Person]]:
    """Members of active households inside ``scope`` meeting any of ``criteria``, in batches."""
    stream = PersonRepository(session).stream_matching(
        scope,
        living_alone_born_by=criteria.living_alone_born_by,
        tekun_at_home=criteria.tekun_at_home,
        born_by=criteria.born_by,
        born_by_among=criteria.born_by_among,
        disability_grades=criteria.disability_grades,
        parents_absent_born_after=criteria.parents_absent_born_after,
        batch=batch,
    )
    async for rows in stream:
        yield [from_row(row) for row in rows]


async def household_region(session: AsyncSession, household_id: uuid.UUID, scope: str) -> str | None:
    """The region of a live household inside ``scope``, or None."""
    row = await RecipientRepository(session).view(household_id, scope)
    return str(row.region_code) if row is not None else None
