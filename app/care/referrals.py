"""Referrals (派单): send an open need to a resource that fits, then accept, decline, serve and
close, each move kept as an event; the need follows (see ``workflow``)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.care import eligibility, people, workflow
from app.care.exceptions import IllegalMove, NeedNotFound, NoCapacity, ReferralNotFound
from app.care.filters import ReferralFilter
from app.care.models import Need, Referral, ReferralEvent, Resource
from app.care.repository import NeedRepository, ReferralRepository
from app.care.resource_repository import ResourceRepository, undelimited
from app.care.resources import eligibility_of
from app.care.schemas import ReferralCreate, ReferralEventRead, ReferralRead, ReferralTransitionIn
from app.care.taxonomy import REFERRAL_STATUSES
from app.care.workdays import ACCEPT_WITHIN_WORKING_DAYS, add_working_days
from app.core.clock import clock
from app.core.errors import Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.ledger.unit_of_work import UnitOfWork
from app.security.principal import Principal


def shape(referral: Referral, resource_name: str, today: date) -> ReferralRead:
    late = workflow.overdue(referral.status, referral.accept_by, referral.due_on, today)
    return ReferralRead(
        id=referral.id,
        version=referral.version,
        region_code=referral.region_code,
        need_id=referral.need_id,
        resource_id=referral.resource_id,
        resource_name=resource_name,
        status=referral.status,
        status_label=REFERRAL_STATUSES.get(referral.status, referral.status),
        note=referral.note,
        dispatched_on=referral.dispatched_on,
        accept_by=referral.accept_by,
        due_on=referral.due_on,
        accepted_on=referral.accepted_on,
        declined_on=referral.declined_on,
        served_on=referral.served_on,
        outcome=referral.outcome,
        closed_on=referral.closed_on,
        overdue=late is not None,
        overdue_reason=late.reason if late else None,
        origin=referral.origin,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
    )


async def _event(
    uow: UnitOfWork, principal: Principal, referral: Referral, action: str, before: str, note: str
) -> None:
    event = ReferralEvent(
        referral_id=referral.id,
        region_code=referral.region_code,
        action=action,
        from_status=before,
        to_status=referral.status,
        note=note,
        acted_on=clock.today(),
        actor_sub=principal.sub[:200],
        actor_name=principal.name[:100],
    )
    await uow.create(event, audit_event=False)


async def _check_fit(session: AsyncSession, principal: Principal, need: Need, resource: Resource) -> None:
    """422 naming what does not fit when the resource cannot serve the need."""
    loc = ("body", "resource_id")
    if not resource.active:
        raise Unprocessable.at(loc, "this resource takes no referrals (inactive)")
    if not eligibility.serves_region(resource.region_code, need.region_code):
        raise Unprocessable.at(
            loc, f"the resource serves {resource.region_code}, which does not contain {need.region_code}"
        )
    if need.type not in undelimited(resource.need_types):
        raise Unprocessable.at(loc, f"the resource does not provide {need.type}")
    today = clock.today()
    person, _member = await people.facts(
        session, principal.region, need.id_number_hash, need.birth_date, today
    )
    _met, failed = eligibility.check(eligibility_of(resource), person)
    if failed:
        raise Unprocessable(
            "the person does not meet the resource's eligibility: " + "; ".join(failed),
            errors=[{"loc": list(loc), "msg": reason} for reason in failed],
        )


async def create(uow: UnitOfWork, principal: Principal, data: ReferralCreate) -> ReferralRead:
    need = await NeedRepository(uow.session).get(data.need_id, principal.region, for_update=True)
    if need is None:
        raise NeedNotFound(data.need_id)
    uow.check_writable(need)
    if need.status != "open":
        raise IllegalMove(
            f"only an open need can be referred; this one is {need.status}",
            record_status=need.status,
            allowed=workflow.allowed_need_actions(need.status),
            key="need_status",
        )
    resources = ResourceRepository(uow.session)
    # The resource row is locked: concurrent referrals to it take its places one at a time.
    resource = await resources.get(data.resource_id, principal.region, for_update=True)
    if resource is None:
        raise Unprocessable.at(("body", "resource_id"), "no resource with this id serves your region")
    await _check_fit(uow.session, principal, need, resource)
    today = clock.today()
    if data.due_on is not None and data.due_on < today:
        raise Unprocessable.at(("body", "due_on"), "due_on is in the past")
    held = (await resources.in_use([resource.id])).get(resource.id, 0)
    if resource.capacity is not None and held >= resource.capacity:
        raise NoCapacity(resource.id, resource.capacity)
    referral = Referral(
        region_code=need.region_code,
        need_id=need.id,
        resource_id=resource.id,
        status="dispatched",
        note=data.note,
        dispatched_on=today,
        accept_by=add_working_days(today, ACCEPT_WITHIN_WORKING_DAYS),
        due_on=data.due_on,
    )
    await uow.create(referral, details={"need_id": str(need.id), "resource_id": str(resource.id)})
    await _event(uow, principal, referral, "dispatch", "", data.note)
    need.status = "referred"
    await uow.update(
        need,
        expected_version=None,
        changed=["status"],
        action="care_need.refer",
        details={"referral_id": str(referral.id)},
    )
    return shape(referral, resource.name, today)


async def _load(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, *, for_update: bool = False
) -> Referral:
    referral = await ReferralRepository(session).get(referral_id, principal.region, for_update=for_update)
    if referral is None:
        raise ReferralNotFound(referral_id)
    return referral


def _served_on(data: ReferralTransitionIn, referral: Referral, today: date) -> date:
    served_on = data.served_on or today
    if served_on > today:
        raise Unprocessable.at(("body", "served_on"), "served_on is in the future")
    if served_on < referral.dispatched_on:
        raise Unprocessable.at(("body", "served_on"), "served_on is before the referral was dispatched")
    if not data.outcome:
        raise Unprocessable.at(("body", "outcome"), "serve needs the outcome of the service")
    return served_on


async def transition(
    uow: UnitOfWork,
    principal: Principal,
    referral_id: uuid.UUID,
    data: ReferralTransitionIn,
    expected_version: int | None,
) -> ReferralRead:
    referral = await _load(uow.session, principal, referral_id, for_update=True)
    uow.check_writable(referral)
    uow.check_version(referral, expected_version)
    try:
        target = workflow.next_referral_status(data.action, referral.status)
    except workflow.IllegalMove as exc:
        raise IllegalMove(
            str(exc),
            record_status=referral.status,
            allowed=workflow.allowed_referral_actions(referral.status),
            key="referral_status",
        ) from None
    today = clock.today()
    previous = referral.status
    changed = ["status"]
    if data.action == "accept":
        referral.accepted_on = today
        changed.append("accepted_on")
    elif data.action == "decline":
        referral.declined_on = today
        changed.append("declined_on")
    elif data.action == "serve":
        referral.served_on = _served_on(data, referral, today)
        referral.outcome = data.outcome or ""
        changed += ["served_on", "outcome"]
        if referral.accepted_on is None:  # served without a separate acceptance: serving accepts it
            referral.accepted_on = referral.served_on
            changed.append("accepted_on")
    elif data.action == "close":
        referral.closed_on = today
        changed.append("closed_on")
    referral.status = target
    await uow.update(
        referral,
        expected_version=expected_version,
        changed=changed,
        action="care_referral.transition",
        details={"action": data.action, "from": previous, "to": target},
    )
    await _event(uow, principal, referral, data.action, previous, data.note)
    await _follow(uow, referral, data.action, today)
    names = await ReferralRepository(uow.session).resource_names([referral.resource_id])
    return shape(referral, names.get(referral.resource_id, ""), today)


async def _follow(uow: UnitOfWork, referral: Referral, action: str, today: date) -> None:
    """Move the need as its referral moved."""
    target = workflow.NEED_AFTER_REFERRAL.get(action)
    if target is None:
        return
    need = await NeedRepository(uow.session).get(referral.need_id, referral.region_code, for_update=True)
    if need is None or need.status not in {"referred", "served"} or need.status == target:
        return
    previous = need.status
    need.status = target
    need.ended_on = None if target == "open" else (referral.served_on or today)
    await uow.update(
        need,
        expected_version=None,
        changed=["status"],
        action="care_need.transition",
        details={"referral_id": str(referral.id), "action": action, "from": previous, "to": target},
    )


async def end(uow: UnitOfWork, principal: Principal, referral: Referral, note: str) -> None:
    """Close an active referral because its need ended (declined by the person, withdrawn);
    the need's own move is the caller's."""
    previous = referral.status
    referral.status = "closed"
    referral.closed_on = clock.today()
    await uow.update(
        referral,
        expected_version=None,
        changed=["status", "closed_on"],
        action="care_referral.transition",
        details={"action": "close", "from": previous, "to": "closed", "cause": "need ended"},
    )
    await _event(uow, principal, referral, "close", previous, note)


async def get(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> ReferralRead:
    referral = await _load(session, principal, referral_id)
    names = await ReferralRepository(session).resource_names([referral.resource_id])
    return shape(referral, names.get(referral.resource_id, ""), clock.today())


async def list_referrals(
    session: AsyncSession, principal: Principal, params: PageParams, filters: ReferralFilter
) -> Page[ReferralRead]:
    repo = ReferralRepository(session)
    today = clock.today()
    rows, total = await repo.search(principal.region, params, filters, today=today)
    names = await repo.resource_names([r.resource_id for r in rows[: params.limit]])
    return build_page(
        rows, params, lambda r: [r.id], lambda r: shape(r, names.get(r.resource_id, ""), today), total
    )


async def history(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID
) -> list[ReferralEventRead]:
    referral = await _load(session, principal, referral_id)
    return [
        ReferralEventRead.model_validate(e) for e in await ReferralRepository(session).events(referral.id)
    ]
