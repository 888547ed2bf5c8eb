"""The visit roster: everyone under a visit rule in a region, with their next visit — read from
the recipient register (through its port), the latest assessments (through theirs) and the
visits. It feeds the due list, the ``visit_overdue`` discovery and the visit-coverage
indicator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import port as assessments
from app.care import visiting
from app.care.visit_repository import VisitRepository
from app.core.calendar import born_by
from app.recipient import port as recipients


@dataclass(frozen=True, slots=True)
class Entry:
    person: recipients.Person
    due: visiting.Due


def criteria(on: date) -> recipients.PeopleCriteria:
    """Everyone who may fall under a visit rule on ``on`` (the rules then decide): of the people
    of assessable age only those whose latest assessment is severe, chosen in the database."""
    return recipients.PeopleCriteria(
        living_alone_born_by=born_by(on, visiting.ELDERLY_AGE),
        tekun_at_home=True,
        born_by=born_by(on, visiting.ASSESSABLE_AGE),
        born_by_among=assessments.latest_at_levels(visiting.SEVERE_LEVELS),
        disability_grades=visiting.SEVERE_GRADES,
        parents_absent_born_after=born_by(on, visiting.CHILD_AGE),
    )


async def evaluate(session: AsyncSession, people: Sequence[recipients.Person], on: date) -> list[Entry]:
    """The entries of those among ``people`` who are under a visit rule on ``on``."""
    if not people:
        return []
    elderly_by = born_by(on, visiting.ASSESSABLE_AGE)
    latest = await assessments.latest_levels(
        session, [p.id_number_hash for p in people if p.birth_date <= elderly_by]
    )
    visits = VisitRepository(session)
    by_person = await visits.last_by_person([p.id_number_hash for p in people], on)
    by_household = await visits.last_by_household(
        [p.household_id for p in people if p.disability_grade in visiting.SEVERE_GRADES], on
    )
    out: list[Entry] = []
    for person in people:
        level = latest.get(person.id_number_hash)
        facts = visiting.VisitFacts(
            birth_date=person.birth_date,
            living_alone=person.living_alone,
            parents_absent=person.parents_absent,
            household_category=person.household_category,
            support_mode=person.support_mode,
            disability_grade=person.disability_grade,
            latest_level=level.level if level else None,
            latest_assessed_on=level.assessed_on if level else None,
            registered_on=person.registered_on,
        )
        found = visiting.due(
            facts,
            by_person.get(person.id_number_hash),
            on,
            household_visit=by_household.get(person.household_id),
        )
        if found is not None:
            out.append(Entry(person, found))
    return out


async def entries(session: AsyncSession, scope: str, on: date) -> AsyncIterator[list[Entry]]:
    """The roster of ``scope`` on ``on``, in batches in member order."""
    async for batch in recipients.people(session, scope, criteria(on)):
        found = await evaluate(session, batch, on)
        if found:
            yield found


async def overdue_reasons(
    session: AsyncSession, people: Sequence[recipients.Person], on: date
) -> dict[uuid.UUID, str]:
    """The ``visit_overdue`` discovery rule: ``{member id: reason}`` of those overdue."""
    return {
        e.person.member_id: "visit overdue: " + visiting.reason(e.due)
        for e in await evaluate(session, people, on)
        if e.due.overdue
    }


async def coverage(session: AsyncSession, region_code: str, on: date) -> tuple[int, int]:
    """(people under a visit rule whose visit is not overdue on ``on``, people under a rule)."""
    on_time = total = 0
    async for batch in entries(session, region_code, on):
        total += len(batch)
        on_time += sum(1 for e in batch if not e.due.overdue)
    return on_time, total
