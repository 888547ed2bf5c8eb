"""What the care loop knows of a person, read through the recipient and assessment ports."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import port as assessments
from app.care.eligibility import PersonFacts
from app.core.calendar import age_on
from app.recipient import port as recipients
from app.security.pii import PiiCipher, mask_id_number


def id_hash(pii: PiiCipher, id_number: str) -> str:
    """The blind index of an ID number: the same as the recipients' and assessments', so one
    person is found across domains."""
    return pii.blind_index("id_number", id_number)


def sealed(pii: PiiCipher, id_number: str) -> tuple[str, str, str]:
    """(ciphertext, blind index, masked) of an ID number."""
    return pii.encrypt("id_number", id_number), id_hash(pii, id_number), mask_id_number(id_number)


async def facts(
    session: AsyncSession, scope: str, person_hash: str, birth_date: date, on: date
) -> tuple[PersonFacts, recipients.Person | None]:
    """Eligibility facts of a person on ``on``: household category and disability grade from
    the assistance register (within ``scope``), age from the ID number, latest assessment."""
    member = await recipients.person(session, person_hash, scope)
    latest = (await assessments.latest_levels(session, [person_hash])).get(person_hash)
    return (
        PersonFacts(
            category=member.household_category if member else None,
            age=age_on(birth_date, on),
            level=latest.level if latest else None,
            disability_grade=member.disability_grade if member else None,
        ),
        member,
    )
