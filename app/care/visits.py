"""Visits (探访关爱): record a visit (and the needs it found), read, list, delete; who is due a
visit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.care import needs, people, roster, visiting
from app.care.exceptions import VisitNotFound
from app.care.filters import DueVisitFilter, VisitFilter
from app.care.models import Visit
from app.care.repository import NeedRepository
from app.care.schemas import DueVisit, PersonRead, VisitCreate, VisitRead, VisitRuleRead
from app.care.visit_repository import VisitRepository
from app.core.clock import clock
from app.core.errors import BadRequest, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.core.validators import id_number_birth_date
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import port as recipients
from app.security.pii import PiiCipher
from app.security.principal import Principal


def shape(pii: PiiCipher, visit: Visit, need_ids: list[uuid.UUID], *, reveal: bool = False) -> VisitRead:
    return VisitRead(
        id=visit.id,
        version=visit.version,
        region_code=visit.region_code,
        person=PersonRead(
            name=visit.person_name,
            id_number=pii.decrypt("id_number", visit.id_number_enc) if reveal else visit.id_number_masked,
        ),
        household_id=visit.household_id,
        visited_on=visit.visited_on,
        visitor=visit.visitor,
        findings=visit.findings,
        need_ids=need_ids,
        origin=visit.origin,
        created_at=visit.created_at,
        updated_at=visit.updated_at,
    )


def rules() -> list[VisitRuleRead]:
    return [
        VisitRuleRead(code=r.code, title_zh=r.title_zh, title_en=r.title_en, interval_days=r.interval_days)
        for r in visiting.RULES
    ]


async def create(uow: UnitOfWork, principal: Principal, pii: PiiCipher, data: VisitCreate) -> VisitRead:
    await needs.check_person_region(uow.session, principal, data.region_code)
    today = clock.today()
    if data.visited_on > today:
        raise Unprocessable.at(("body", "visited_on"), "visited_on is in the future")
    enc, digest, masked = people.sealed(pii, data.person.id_number)
    member = await recipients.person(uow.session, digest, principal.region)
    name = data.person.name or (member.name if member else "")
    visit = Visit(
        region_code=data.region_code,
        person_name=name,
        id_number_enc=enc,
        id_number_hash=digest,
        id_number_masked=masked,
        household_id=member.household_id if member else None,
        visited_on=data.visited_on,
        visitor=data.visitor,
        findings=data.findings,
    )
    await uow.create(visit, details={"needs": len(data.needs)})
    need_ids: list[uuid.UUID] = []
    for found in data.needs:
        need = await needs.record(
            uow,
            needs.NewNeed(
                region_code=data.region_code,
                person_name=name,
                id_number_enc=enc,
                id_number_hash=digest,
                id_number_masked=masked,
                birth_date=id_number_birth_date(data.person.id_number),
                household_id=visit.household_id,
                type=found.type,
                description=found.description,
                urgency=found.urgency,
                source="visit",
                visit_id=visit.id,
            ),
        )
        need_ids.append(need.id)
    return shape(pii, visit, need_ids)


async def _load(
    session: AsyncSession, principal: Principal, visit_id: uuid.UUID, *, for_update: bool = False
) -> Visit:
    visit = await VisitRepository(session).get(visit_id, principal.region, for_update=for_update)
    if visit is None:
        raise VisitNotFound(visit_id)
    return visit


async def get(
    session: AsyncSession, principal: Principal, pii: PiiCipher, visit_id: uuid.UUID, *, reveal: bool = False
) -> VisitRead:
    visit = await _load(session, principal, visit_id)
    found = await NeedRepository(session).of_visits([visit.id])
    return shape(pii, visit, found.get(visit.id, []), reveal=reveal)


async def list_visits(
    session: AsyncSession, principal: Principal, pii: PiiCipher, params: PageParams, filters: VisitFilter
) -> Page[VisitRead]:
    id_hash = people.id_hash(pii, filters.id_number) if filters.id_number else None
    rows, total = await VisitRepository(session).search(principal.region, params, filters, id_hash=id_hash)
    found = await NeedRepository(session).of_visits([v.id for v in rows[: params.limit]])
    return build_page(rows, params, lambda v: [v.id], lambda v: shape(pii, v, found.get(v.id, [])), total)


async def delete(uow: UnitOfWork, principal: Principal, visit_id: uuid.UUID, expected_version: int) -> None:
    """A visit recorded in error: its tombstone no longer counts for the due date (the needs it
    found stay; withdraw them on their own)."""
    visit = await _load(uow.session, principal, visit_id, for_update=True)
    await uow.delete(visit, expected_version=expected_version)


def _item(entry: roster.Entry, on: date) -> DueVisit:
    person, due = entry.person, entry.due
    return DueVisit(
        member_id=person.member_id,
        household_id=person.household_id,
        region_code=person.region_code,
        person=PersonRead(name=person.name, id_number=person.id_number_masked),
        rule=due.rule.code,
        rule_title=due.rule.title_zh,
        interval_days=due.rule.interval_days,
        rules=[r.code for r in due.rules],
        last_visited_on=due.last_visited_on,
        due_on=due.due_on,
        overdue=due.overdue,
        days_overdue=max((on - due.due_on).days, 0),
    )


async def due_list(
    session: AsyncSession, principal: Principal, params: PageParams, filters: DueVisitFilter
) -> Page[DueVisit]:
    """People due a visit by ``today + filters.within_days``, earliest due first (then by member)."""
    on = clock.today()
    horizon = on + timedelta(days=filters.within_days)
    region_code = filters.region_code
    scope = region_code if region_code and principal.covers(region_code) else principal.region
    if region_code and not principal.covers(region_code):
        return Page[DueVisit](items=[])
    after: tuple[str, str] | None = None
    if params.after:
        if len(params.after) != 2:
            raise BadRequest("unknown cursor; start again without one")
        after = (str(params.after[0]), str(params.after[1]))
    items: list[DueVisit] = []
    async for batch in roster.entries(session, scope, on):
        for entry in batch:
            if entry.due.due_on > horizon:
                continue
            if filters.rule is not None and filters.rule not in {r.code for r in entry.due.rules}:
                continue
            if filters.overdue is not None and entry.due.overdue != filters.overdue:
                continue
            items.append(_item(entry, on))
    items.sort(key=lambda i: (i.due_on, str(i.member_id)))
    total = len(items) if params.count else None
    if after is not None:
        items = [i for i in items if (i.due_on.isoformat(), str(i.member_id)) > after]
    return build_page(items, params, lambda i: [i.due_on.isoformat(), str(i.member_id)], lambda i: i, total)
