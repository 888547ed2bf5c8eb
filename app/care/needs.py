"""Needs (需求库): record, read, list, correct, and the person's own moves (decline, withdraw,
reopen)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.care import people, referrals, workflow
from app.care.exceptions import IllegalMove, NeedNotFound
from app.care.filters import NeedFilter
from app.care.models import Need, Referral
from app.care.repository import NeedRepository, ReferralRepository
from app.care.schemas import NeedCreate, NeedRead, NeedTransitionIn, NeedUpdate, PersonRead
from app.care.taxonomy import NEED_STATUSES, NEED_TYPES, SOURCES, URGENCIES
from app.core.clock import clock
from app.core.errors import Forbidden, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.core.validators import id_number_birth_date
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import port as recipients
from app.region import service as regions
from app.security.pii import PiiCipher
from app.security.principal import Principal

PERSON_LEVELS = ("county", "township", "village")


def shape(
    pii: PiiCipher, need: Need, referral: Referral | None, today: date, *, reveal: bool = False
) -> NeedRead:
    late = workflow.overdue(referral.status, referral.accept_by, referral.due_on, today) if referral else None
    return NeedRead(
        id=need.id,
        version=need.version,
        region_code=need.region_code,
        person=PersonRead(
            name=need.person_name,
            id_number=pii.decrypt("id_number", need.id_number_enc) if reveal else need.id_number_masked,
        ),
        household_id=need.household_id,
        type=need.type,
        type_label=NEED_TYPES.get(need.type, need.type),
        description=need.description,
        urgency=need.urgency,
        urgency_label=URGENCIES.get(need.urgency, need.urgency),
        source=need.source,
        source_label=SOURCES.get(need.source, need.source),
        status=need.status,
        status_label=NEED_STATUSES.get(need.status, need.status),
        status_note=need.status_note,
        opened_on=need.opened_on,
        ended_on=need.ended_on,
        visit_id=need.visit_id,
        discovery_rule=need.discovery_rule,
        referral_id=referral.id if referral else None,
        overdue=late is not None,
        overdue_reason=late.reason if late else None,
        origin=need.origin,
        created_at=need.created_at,
        updated_at=need.updated_at,
    )


async def check_person_region(session: AsyncSession, principal: Principal, region_code: str) -> None:
    """A person's region in the caller's scope (403 otherwise) and known (422 otherwise)."""
    if not principal.covers(region_code):
        raise Forbidden(f"region {region_code} lies outside your scope")
    await regions.require_region(session, region_code, levels=PERSON_LEVELS, on=clock.today())


@dataclass(frozen=True, slots=True)
class NewNeed:
    """A need to record, however it arrived (a request, a visit, a discovery)."""

    region_code: str
    person_name: str
    id_number_enc: str
    id_number_hash: str
    id_number_masked: str
    birth_date: date
    household_id: uuid.UUID | None
    type: str
    description: str
    urgency: str
    source: str
    visit_id: uuid.UUID | None = None
    discovery_rule: str | None = None
    discovery_key: str | None = None


async def record(uow: UnitOfWork, new: NewNeed, *, audit_event: bool = True) -> Need:
    """Write a new open need through the unit of work."""
    need = Need(
        region_code=new.region_code,
        person_name=new.person_name,
        id_number_enc=new.id_number_enc,
        id_number_hash=new.id_number_hash,
        id_number_masked=new.id_number_masked,
        birth_date=new.birth_date,
        household_id=new.household_id,
        type=new.type,
        description=new.description,
        urgency=new.urgency,
        source=new.source,
        status="open",
        opened_on=clock.today(),
        visit_id=new.visit_id,
        discovery_rule=new.discovery_rule,
        discovery_key=new.discovery_key,
    )
    await uow.create(need, details={"type": new.type, "source": new.source}, audit_event=audit_event)
    return need


async def household_of(
    session: AsyncSession,
    principal: Principal,
    person_hash: str,
    given: uuid.UUID | None,
    loc: tuple[str, ...],
) -> uuid.UUID | None:
    """The household a need or visit names (422 unless it is a live household in scope), or
    the person's household in the register."""
    if given is not None:
        if await recipients.household_region(session, given, principal.region) is None:
            raise Unprocessable.at(loc, "no assistance household with this id in your scope")
        return given
    member = await recipients.person(session, person_hash, principal.region)
    return member.household_id if member else None


async def create(uow: UnitOfWork, principal: Principal, pii: PiiCipher, data: NeedCreate) -> NeedRead:
    await check_person_region(uow.session, principal, data.region_code)
    enc, digest, masked = people.sealed(pii, data.person.id_number)
    household_id = await household_of(
        uow.session, principal, digest, data.household_id, ("body", "household_id")
    )
    need = await record(
        uow,
        NewNeed(
            region_code=data.region_code,
            person_name=data.person.name,
            id_number_enc=enc,
            id_number_hash=digest,
            id_number_masked=masked,
            birth_date=id_number_birth_date(data.person.id_number),
            household_id=household_id,
            type=data.type,
            description=data.description,
            urgency=data.urgency,
            source=data.source,
        ),
    )
    return shape(pii, need, None, clock.today())


async def load(
    session: AsyncSession, principal: Principal, need_id: uuid.UUID, *, for_update: bool = False
) -> Need:
    need = await NeedRepository(session).get(need_id, principal.region, for_update=for_update)
    if need is None:
        raise NeedNotFound(need_id)
    return need


async def get(
    session: AsyncSession, principal: Principal, pii: PiiCipher, need_id: uuid.UUID, *, reveal: bool = False
) -> NeedRead:
    need = await load(session, principal, need_id)
    active = await ReferralRepository(session).active_for([need.id])
    return shape(pii, need, active.get(need.id), clock.today(), reveal=reveal)


async def shape_many(session: AsyncSession, pii: PiiCipher, needs: Sequence[Need]) -> list[NeedRead]:
    active = await ReferralRepository(session).active_for([n.id for n in needs])
    today = clock.today()
    return [shape(pii, n, active.get(n.id), today) for n in needs]


def _id_hash(pii: PiiCipher, filters: NeedFilter) -> str | None:
    return people.id_hash(pii, filters.id_number) if filters.id_number else None


async def list_needs(
    session: AsyncSession, principal: Principal, pii: PiiCipher, params: PageParams, filters: NeedFilter
) -> Page[NeedRead]:
    rows, total = await NeedRepository(session).search(
        principal.region, params, filters, id_hash=_id_hash(pii, filters), today=clock.today()
    )
    shown = {
        n.id: s for n, s in zip(rows, await shape_many(session, pii, rows[: params.limit]), strict=False)
    }
    return build_page(rows, params, lambda n: [n.id], lambda n: shown[n.id], total)


async def everything(
    session: AsyncSession, principal: Principal, pii: PiiCipher, filters: NeedFilter
) -> list[NeedRead]:
    """Every need in scope matching ``filters``, newest first (for exports)."""
    found = await NeedRepository(session).all_matching(
        principal.region, filters, id_hash=_id_hash(pii, filters), today=clock.today()
    )
    return await shape_many(session, pii, found)


async def update(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    need_id: uuid.UUID,
    data: NeedUpdate,
    expected_version: int,
) -> NeedRead:
    need = await load(uow.session, principal, need_id, for_update=True)
    uow.check_writable(need)
    uow.check_version(need, expected_version)
    if data.type is not None and data.type != need.type and need.status != "open":
        raise IllegalMove(
            f"the type of a need that is {need.status} cannot change; only an open need's can",
            record_status=need.status,
            allowed=workflow.allowed_need_actions(need.status),
            key="need_status",
        )
    if data.household_id is not None and data.household_id != need.household_id:
        await household_of(
            uow.session, principal, need.id_number_hash, data.household_id, ("body", "household_id")
        )
    changed: list[str] = []
    for key in sorted(data.model_fields_set):
        value = getattr(data, key)
        if value is None or getattr(need, key) == value:
            continue
        setattr(need, key, value)
        changed.append(key)
    await uow.update(need, expected_version=expected_version, changed=changed)
    active = await ReferralRepository(uow.session).active_for([need.id])
    return shape(pii, need, active.get(need.id), clock.today())


async def transition(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    need_id: uuid.UUID,
    data: NeedTransitionIn,
    expected_version: int | None,
) -> NeedRead:
    need = await load(uow.session, principal, need_id, for_update=True)
    uow.check_writable(need)
    uow.check_version(need, expected_version)
    try:
        target = workflow.next_need_status(data.action, need.status)
    except workflow.IllegalMove as exc:
        raise IllegalMove(
            str(exc),
            record_status=need.status,
            allowed=workflow.allowed_need_actions(need.status),
            key="need_status",
        ) from None
    active = (await ReferralRepository(uow.session).active_for([need.id], for_update=True)).get(need.id)
    if active is not None:
        # The person declined or the need was withdrawn: the referral ends and frees its place.
        note = f"need {data.action}" + (f": {data.note}" if data.note else "")
        await referrals.end(uow, principal, active, note[:1000])
    previous = need.status
    need.status = target
    need.status_note = data.note
    need.ended_on = None if target == "open" else clock.today()
    await uow.update(
        need,
        expected_version=expected_version,
        changed=["status", "status_note"],
        action="care_need.transition",
        details={"action": data.action, "from": previous, "to": target},
    )
    return shape(pii, need, None, clock.today())
