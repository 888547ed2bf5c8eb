"""Recipient households: create, read, change, delete, move through the workflow."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.address import port as addresses
from app.core.clock import clock
from app.core.errors import Forbidden, Unprocessable
from app.core.money import from_fen, to_fen
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import cases, composition, deaths, eligibility, members, tekun, workflow
from app.recipient.documents import shape
from app.recipient.exceptions import DuplicateRegistration, HouseholdNotFound, IllegalTransition
from app.recipient.models import Household, Member, Transition
from app.recipient.repository import RecipientRepository
from app.recipient.schemas import (
    EligibilityRead,
    HouseholdCreate,
    HouseholdRead,
    HouseholdUpdate,
    MemberIn,
    TransitionIn,
)
from app.region import service as regions
from app.security.pii import PiiCipher
from app.security.principal import Principal
from app.standard import service as standards

HOUSEHOLD_LEVELS = ("township", "village")


async def _check_region(session: AsyncSession, principal: Principal, region_code: str) -> None:
    if not principal.covers(region_code):
        raise Forbidden(f"region {region_code} lies outside your scope")
    await regions.require_region(session, region_code, levels=HOUSEHOLD_LEVELS)


async def _standard_address(session: AsyncSession, principal: Principal, address_id: uuid.UUID) -> str:
    """The full name of a linked standard address; 422 when it is unknown, out of scope or retired."""
    address = await addresses.linked_address(session, principal, address_id)
    if address is None:
        raise Unprocessable.at(("body", "address_id"), "no standard address with this id in your scope")
    if not address.active:
        raise Unprocessable.at(("body", "address_id"), "this standard address is retired; link its successor")
    return address.full_name


def _check_composition(people: Sequence[MemberIn]) -> None:
    problems = composition.check_members([m.relation for m in people], [m.id_number for m in people])
    today = clock.today()
    problems += [
        composition.Problem(
            ("body", "members", i, "self_care", "assessed_on"),
            f"a self-care assessment cannot be dated after today ({today})",
        )
        for i, m in enumerate(people)
        if m.self_care is not None and m.self_care.assessed_on > today
    ]
    if problems:
        raise Unprocessable(problems[0].msg, errors=[{"loc": list(p.loc), "msg": p.msg} for p in problems])


async def _check_duplicates(
    repo: RecipientRepository,
    pii: PiiCipher,
    principal: Principal,
    people: Sequence[MemberIn],
    own: uuid.UUID | None,
    region_code: str,
) -> None:
    index_of = {members.id_hash(pii, m.id_number): i for i, m in enumerate(people)}
    for digest, holder in await repo.active_holders(list(index_of)):
        if holder.id == own:
            continue
        if principal.covers(holder.region_code):
            raise DuplicateRegistration(index_of[digest], holder.id, holder.region_code)
        # Outside the caller's scope: no region, household or person in the answer, only a case.
        case = cases.open_case(principal, region_code, index_of[digest], holder, digest)
        raise DuplicateRegistration(index_of[digest], case=case)


async def create(
    uow: UnitOfWork, principal: Principal, pii: PiiCipher, data: HouseholdCreate
) -> HouseholdRead:
    await _check_region(uow.session, principal, data.region_code)
    _check_composition(data.members)
    repo = RecipientRepository(uow.session)
    await _check_duplicates(repo, pii, principal, data.members, None, data.region_code)
    address_text = data.address_text
    if data.address_id is not None:
        standard = await _standard_address(uow.session, principal, data.address_id)
        address_text = address_text or standard
    head = next(m for m in data.members if m.relation == "head")
    household = Household(
        region_code=data.region_code,
        category=data.category,
        status="applied",
        monthly_income_fen=to_fen(data.monthly_income),
        member_count=len(data.members),
        head_name=head.name,
        address_id=data.address_id,
        address_text=address_text,
        support_mode=data.support_mode,
        applied_on=clock.today(),
    )
    await uow.create(household, details={"members": len(data.members)})
    people = [members.build(pii, household, m) for m in data.members]
    for member in people:
        await uow.create(member, audit_event=False)
    await _record_transition(uow, principal, household, "apply", "", "applied", "")
    return shape(pii, household, people)


async def update(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    household_id: uuid.UUID,
    data: HouseholdUpdate,
    expected_version: int,
) -> HouseholdRead:
    repo = RecipientRepository(uow.session)
    household = await repo.get(household_id, principal.region, for_update=True)
    if household is None:
        raise HouseholdNotFound(household_id)
    uow.check_writable(household)
    uow.check_version(household, expected_version)
    people = await repo.members([household.id], for_update=True)
    changed: list[str] = []
    if data.address_id is not None and data.address_id != household.address_id:
        await _standard_address(uow.session, principal, data.address_id)
    for key in sorted(data.model_fields_set - {"members"}):
        value = getattr(data, key)
        if value is None and key in {"category", "monthly_income"}:
            continue
        column = key
        if key == "monthly_income":
            column, value = "monthly_income_fen", to_fen(value)
        if getattr(household, column) != value:
            setattr(household, column, value)
            changed.append(key)
    if data.members is not None:
        _check_composition(data.members)
        await _check_duplicates(repo, pii, principal, data.members, household.id, household.region_code)
        people = await _replace_members(uow, pii, household, people, data.members)
        household.member_count = len(people)
        household.head_name = next(m.name for m in people if m.relation == "head")
        changed.append("members")
    await uow.update(household, expected_version=expected_version, changed=changed)
    return shape(pii, household, people)


async def _replace_members(
    uow: UnitOfWork, pii: PiiCipher, household: Household, current: list[Member], wanted: Sequence[MemberIn]
) -> list[Member]:
    """Match members by ID number: keep and update the same people, add new, tombstone the rest."""
    by_hash = {m.id_number_hash: m for m in current}
    kept: list[Member] = []
    for data in wanted:
        existing = by_hash.pop(members.id_hash(pii, data.id_number), None)
        if existing is None:
            member = members.build(pii, household, data)
            await uow.create(member, audit_event=False)
        else:
            member = existing
            fields = members.apply(pii, member, data)
            if fields:
                await uow.update(member, expected_version=None, changed=fields, audit_event=False)
        kept.append(member)
    for gone in by_hash.values():
        await uow.delete(gone, expected_version=None, details={"household_id": str(household.id)})
    return kept


async def delete(
    uow: UnitOfWork, principal: Principal, household_id: uuid.UUID, expected_version: int
) -> None:
    repo = RecipientRepository(uow.session)
    household = await repo.get(household_id, principal.region, for_update=True)
    if household is None:
        raise HouseholdNotFound(household_id)
    await uow.delete(household, expected_version=expected_version)
    for member in await repo.members([household.id], for_update=True):
        await uow.delete(member, expected_version=None, details={"household_id": str(household.id)})


async def transition(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    household_id: uuid.UUID,
    data: TransitionIn,
    expected_version: int | None,
) -> HouseholdRead:
    repo = RecipientRepository(uow.session)
    household = await repo.get(household_id, principal.region, for_update=True)
    if household is None:
        raise HouseholdNotFound(household_id)
    uow.check_writable(household)
    uow.check_version(household, expected_version)
    try:
        target = workflow.next_status(data.action, household.status)
    except workflow.IllegalMove as exc:
        raise IllegalTransition(
            str(exc),
            extra={
                "household_status": household.status,
                "allowed": workflow.allowed_actions(household.status),
            },
        ) from None
    previous = household.status
    today = clock.today()
    household.status = target
    if data.action == "approve":
        household.approved_on = today
        household.last_reviewed_on = today
    elif data.action == "review":
        household.last_reviewed_on = today
    elif data.action == "exit":
        household.exited_on = today
    await uow.update(
        household,
        expected_version=expected_version,
        changed=["status"],
        action="recipient_household.transition",
        details={"action": data.action},
    )
    await _record_transition(uow, principal, household, data.action, previous, target, data.reason)
    return shape(pii, household, await repo.members([household.id]))


async def _record_transition(
    uow: UnitOfWork,
    principal: Principal,
    household: Household,
    action: str,
    before: str,
    after: str,
    reason: str,
) -> None:
    record = Transition(
        household_id=household.id,
        region_code=household.region_code,
        action=action,
        from_status=before,
        to_status=after,
        reason=reason,
        actor_sub=principal.sub[:200],
        actor_name=principal.name[:100],
    )
    await uow.create(record, audit_event=False)


async def living_members(session: AsyncSession, household: Household, on: date) -> int:
    """Members who count on ``on``: those who died before its month do not."""
    people = await RecipientRepository(session).members([household.id])
    died = await deaths.died_on_by_hash(session, [m.id_number_hash for m in people])
    month = on.strftime("%Y-%m")
    return sum(
        1
        for m in people
        if not (m.id_number_hash in died and died[m.id_number_hash].strftime("%Y-%m") < month)
    )


async def assess_eligibility(
    session: AsyncSession, household: Household, on: date, members: int
) -> eligibility.Eligibility:
    region = household.region_code
    annual = await standards.effective_value(session, "dibao_annual", region, on)
    multiple = await standards.effective_value(session, "dibao_edge_multiple", region, on)
    tekun_annual = await standards.effective_value(session, "tekun_basic_annual", region, on)
    return eligibility.assess(
        household.category,
        from_fen(household.monthly_income_fen),
        members,
        annual,
        multiple,
        tekun.basic_monthly(annual, tekun_annual),
    )


async def eligibility_of(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, on: date
) -> EligibilityRead:
    household = await RecipientRepository(session).get(household_id, principal.region)
    if household is None:
        raise HouseholdNotFound(household_id)
    counted = await living_members(session, household, on)
    result = await assess_eligibility(session, household, on, counted)
    return EligibilityRead(
        on=on,
        category=household.category,
        members_counted=counted,
        annual_standard=result.annual_standard,
        monthly_standard=result.monthly_standard,
        household_standard=result.household_standard,
        per_capita_income=result.per_capita_income,
        eligible=result.eligible,
        monthly_benefit=result.monthly_benefit,
        rule=result.rule,
    )
