"""The recipient port: the typed read functions other domains use to learn about a person in
the assistance register (household category, support mode, disability, living situation) and
about discovery hits — never the recipient tables or repositories themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.recipient import screening
from app.recipient.people import (
    PeopleCriteria,
    Person,
    household_region,
    people,
    people_by_member,
    person,
)
from app.recipient.screening import DiscoveryRule

__all__ = [
    "DiscoveryRule",
    "Found",
    "PeopleCriteria",
    "Person",
    "discovery_hits",
    "discovery_rules",
    "household_region",
    "people",
    "people_by_member",
    "person",
]


@dataclass(frozen=True, slots=True)
class Found:
    """A discovery hit: the rule, why, and the person it found."""

    rule: str
    title: str
    reason: str
    person: Person


async def discovery_hits(session: AsyncSession, scope: str, rule: str, on: date) -> AsyncIterator[Found]:
    """Every hit of a discovery rule (built in or registered) inside ``scope`` on ``on``."""
    title = screening.rule_titles()[rule]
    async for hit in screening.walk(session, scope, on, rule=rule):
        member, household = hit.member, hit.household
        yield Found(
            rule=hit.rule,
            title=title,
            reason=hit.reason,
            person=Person(
                member_id=member.id,
                household_id=household.id,
                region_code=household.region_code,
                name=member.name,
                id_number_enc=member.id_number_enc,
                id_number_hash=member.id_number_hash,
                id_number_masked=member.id_number_masked,
                birth_date=member.birth_date,
                disability_grade=member.disability_grade,
                living_alone=bool(member.living_alone),
                parents_absent=bool(member.parents_absent),
                household_category=household.category,
                household_status=household.status,
                support_mode=household.support_mode,
                registered_on=household.applied_on,
            ),
        )


def discovery_rules() -> dict[str, str]:
    """Every discovery rule, built in and registered: code → title."""
    return screening.rule_titles()
