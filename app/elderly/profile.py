"""The elderly profile (精准画像, seed clause 8): one person's assessments, the assistance
household they belong to and the benefits they hold, all within the caller's scope."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import service
from app.core.clock import clock
from app.core.validators import id_number_birth_date, id_number_sex
from app.elderly.exceptions import ProfileNotFound
from app.elderly.schemas import Benefits, ElderlyProfile
from app.recipient import documents as recipients
from app.recipient.schemas import HouseholdRead
from app.security.pii import PiiCipher, mask_id_number
from app.security.principal import Principal


def _benefits(household: HouseholdRead, id_number: str, name: str | None) -> Benefits:
    masked = mask_id_number(id_number)
    matches = [m for m in household.members if m.id_number == masked]
    if len(matches) > 1 and name:
        matches = [m for m in matches if m.name == name] or matches
    member = matches[0] if len(matches) == 1 else None
    return Benefits(
        household_category=household.category,
        household_status=household.status,
        disability_grade=member.disability_grade if member else None,
        subsidies=list(member.subsidies) if member else [],
    )


async def profile(
    session: AsyncSession, principal: Principal, pii: PiiCipher, id_number: str, *, today: date | None = None
) -> ElderlyProfile:
    history = await service.history_of(session, pii, id_number, principal.region)
    household = await recipients.household_of_member(session, principal, pii, id_number)
    if not history and household is None:
        raise ProfileNotFound()
    latest = next((a for a in history if a.superseded_by is None), None)
    name = latest.subject_name if latest else (history[0].subject_name if history else None)
    benefits = _benefits(household, id_number, name) if household else None
    if name is None and household is not None:
        masked = mask_id_number(id_number)
        name = next((m.name for m in household.members if m.id_number == masked), None)
    born = id_number_birth_date(id_number)
    day = today or clock.today()
    return ElderlyProfile(
        id_number=id_number,
        name=name,
        sex=id_number_sex(id_number),
        birth_date=born,
        age=day.year - born.year - ((day.month, day.day) < (born.month, born.day)),
        latest=service.shape(pii, latest) if latest else None,
        history=[service.shape(pii, a) for a in history],
        household=household,
        benefits=benefits,
    )
