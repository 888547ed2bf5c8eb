"""Deaths: recording notices and what they mean for assistance.

A death is matched to members by the blind index of the (normalised) ID number, the same
index members carry. A member who died is paid up to and including the month of death; a
household whose head or only member died is flagged for review (a discovery) and payment runs
skip it until it is changed or exits (:mod:`app.recipient.entitlement`).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.core.validators import id_number_birth_date
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import members
from app.recipient.death_models import DeathRecord
from app.recipient.death_repository import DeathRepository
from app.recipient.filters import DeathFilter
from app.recipient.repository import RecipientRepository
from app.recipient.schemas import DeathCreate, DeathMatch, DeathRead
from app.security.pii import PiiCipher, mask_id_number
from app.security.principal import Principal
from app.security.scope import in_scope


class DeathNotFound(NotFound):
    def __init__(self, death_id: uuid.UUID) -> None:
        super().__init__(f"no death record {death_id}")


class DeathExists(Conflict):
    """A death is recorded once per person. Inside the caller's scope the answer names the
    record; outside it, it names nothing (no record, date or region)."""

    def __init__(self, existing: DeathRecord | None, principal: Principal | None = None) -> None:
        if existing is None:
            super().__init__("a death is already recorded for this ID number")
            return
        if principal is not None and not in_scope(principal.region, existing.region_code):
            super().__init__("a death is already recorded for this ID number outside your scope")
            return
        super().__init__(
            f"a death is already recorded for this ID number (died on {existing.died_on}); "
            "delete that record to correct it",
            extra={"death_id": str(existing.id), "died_on": existing.died_on.isoformat()},
        )


async def _matches(session: AsyncSession, principal: Principal, id_hash: str) -> list[DeathMatch]:
    repo = RecipientRepository(session)
    out = []
    for member, household in await repo.holders_of(id_hash, principal.region):
        out.append(
            DeathMatch(
                household_id=household.id,
                member_id=member.id,
                region_code=household.region_code,
                relation=member.relation,
                household_status=household.status,
                review=member.relation == "head" or household.member_count == 1,
            )
        )
    return out


def _read(record: DeathRecord, matches: list[DeathMatch]) -> DeathRead:
    return DeathRead(
        id=record.id,
        version=record.version,
        region_code=record.region_code,
        id_number=record.id_number_masked,
        died_on=record.died_on,
        source=record.source,
        note=record.note,
        created_at=record.created_at,
        matches=matches,
    )


def check_dates(data: DeathCreate) -> None:
    if data.died_on > clock.today():
        raise Unprocessable.at(("body", "died_on"), "the date of death lies in the future")
    if data.died_on < id_number_birth_date(data.id_number):
        raise Unprocessable.at(("body", "died_on"), "the date of death lies before the birth date")


async def record(uow: UnitOfWork, principal: Principal, pii: PiiCipher, data: DeathCreate) -> DeathRead:
    """Record a death (201); 409 naming the record when one exists for the ID number."""
    check_dates(data)
    id_hash = members.id_hash(pii, data.id_number)
    repo = DeathRepository(uow.session)
    existing = await repo.by_hash(id_hash)
    if existing is not None:
        raise DeathExists(existing, principal)
    matches = await _matches(uow.session, principal, id_hash)
    death = DeathRecord(
        region_code=matches[0].region_code if matches else principal.region,
        id_number_enc=pii.encrypt("id_number", data.id_number),
        id_number_hash=id_hash,
        id_number_masked=mask_id_number(data.id_number),
        died_on=data.died_on,
        died_month=data.died_on.strftime("%Y-%m"),
        source=data.source,
        note=data.note,
    )
    try:
        async with uow.session.begin_nested():
            await uow.create(
                death,
                details={
                    "source": data.source,
                    "matched_households": [str(m.household_id) for m in matches],
                    "review": [str(m.household_id) for m in matches if m.review],
                },
            )
    except IntegrityError:
        # Another request recorded the same person in the meantime.
        raise DeathExists(await repo.by_hash(id_hash), principal) from None
    return _read(death, matches)


async def get(session: AsyncSession, principal: Principal, pii: PiiCipher, death_id: uuid.UUID) -> DeathRead:
    death = await DeathRepository(session).get(death_id, principal.region)
    if death is None:
        raise DeathNotFound(death_id)
    return _read(death, await _matches(session, principal, death.id_number_hash))


async def list_deaths(
    session: AsyncSession,
    principal: Principal,
    pii: PiiCipher,
    params: PageParams,
    filters: DeathFilter,
) -> Page[DeathRead]:
    id_hash = members.id_hash(pii, filters.id_number) if filters.id_number else None
    rows = await DeathRepository(session).search(principal.region, params, filters, id_hash=id_hash)
    return build_page(rows, params, lambda d: [d.id], lambda d: _read(d, []))


async def delete(uow: UnitOfWork, principal: Principal, death_id: uuid.UUID, expected_version: int) -> None:
    """Withdraw a mistaken notice (soft delete); payments resume from the next run."""
    death = await DeathRepository(uow.session).get(death_id, principal.region, for_update=True)
    if death is None:
        raise DeathNotFound(death_id)
    await uow.delete(death, expected_version=expected_version)


async def died_on_by_hash(session: AsyncSession, id_hashes: list[str]) -> dict[str, date]:
    """``{ID hash: date of death}`` of the recorded deaths among the people given."""
    return await DeathRepository(session).died_on(id_hashes)
