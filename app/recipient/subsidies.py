"""The two disability subsidies (残疾人两项补贴, seed clause 4), per member:
apply → verify → approve → monthly payment → exit, with the same moves as a household.

- living subsidy (困难残疾人生活补贴, ``disability_living``): members with a disability in a
  dibao or dibao-edge household;
- nursing subsidy (重度残疾人护理补贴, ``disability_nursing``): disability grade 1–2.

Eligibility is checked on applying and again on approving (422 with the reason); a member holds
at most one active subsidy of each kind (409 names it). Approval adds the kind to the member's
``subsidies`` and exit removes it; payment runs pay approved subsidies from the month of
approval (:mod:`app.recipient.entitlement`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import workflow
from app.recipient.entitlement import LIVING_CATEGORIES, NURSING_GRADES
from app.recipient.exceptions import HouseholdNotFound, IllegalTransition
from app.recipient.models import Household, Member
from app.recipient.repository import RecipientRepository
from app.recipient.schemas import SubsidyCreate, SubsidyRead, SubsidyTransitionIn, TransitionRead
from app.recipient.subsidy_models import DisabilitySubsidy, SubsidyTransition
from app.recipient.subsidy_repository import SubsidyRepository
from app.security.principal import Principal

MOVES = {action: moves for action, moves in workflow.MOVES.items() if action != "review"}


class MemberNotFound(NotFound):
    def __init__(self, member_id: uuid.UUID) -> None:
        super().__init__(f"no member {member_id} in this household")


class SubsidyNotFound(NotFound):
    def __init__(self, subsidy_id: uuid.UUID) -> None:
        super().__init__(f"no disability subsidy {subsidy_id} in this household")


class SubsidyExists(Conflict):
    def __init__(self, existing: DisabilitySubsidy) -> None:
        super().__init__(
            f"the member already has a {existing.kind} subsidy that is {existing.status}",
            extra={"subsidy_id": str(existing.id), "subsidy_status": existing.status},
        )


def refusal(kind: str, household: Household, member: Member) -> str | None:
    """Why the member cannot have this subsidy, or None."""
    grade = member.disability_grade
    if grade is None:
        return "the member has no recorded disability grade"
    if kind == "disability_nursing" and grade not in NURSING_GRADES:
        return f"the nursing subsidy is for disability grades 1–2; the member's grade is {grade}"
    if kind == "disability_living" and household.category not in LIVING_CATEGORIES:
        return (
            "the living subsidy is for members of dibao or dibao-edge households; "
            f"this household is {household.category}"
        )
    return None


def read(subsidy: DisabilitySubsidy) -> SubsidyRead:
    return SubsidyRead(
        id=subsidy.id,
        version=subsidy.version,
        household_id=subsidy.household_id,
        member_id=subsidy.member_id,
        region_code=subsidy.region_code,
        kind=subsidy.kind,
        status=subsidy.status,
        applied_on=subsidy.applied_on,
        approved_on=subsidy.approved_on,
        exited_on=subsidy.exited_on,
        created_at=subsidy.created_at,
        updated_at=subsidy.updated_at,
    )


async def _household(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, *, for_update: bool = False
) -> Household:
    household = await RecipientRepository(session).get(household_id, principal.region, for_update=for_update)
    if household is None:
        raise HouseholdNotFound(household_id)
    return household


async def _member(session: AsyncSession, household: Household, member_id: uuid.UUID) -> Member:
    for member in await RecipientRepository(session).members([household.id]):
        if member.id == member_id:
            return member
    raise MemberNotFound(member_id)


async def apply(
    uow: UnitOfWork, principal: Principal, household_id: uuid.UUID, member_id: uuid.UUID, data: SubsidyCreate
) -> SubsidyRead:
    household = await _household(uow.session, principal, household_id, for_update=True)
    uow.check_writable(household)
    member = await _member(uow.session, household, member_id)
    if household.status not in workflow.ACTIVE_STATUSES:
        raise Conflict(
            f"the household is {household.status}; subsidies are for members of active households",
            extra={"household_status": household.status},
        )
    reason = refusal(data.kind, household, member)
    if reason:
        raise Unprocessable.at(("body", "kind"), reason)
    repo = SubsidyRepository(uow.session)
    existing = await repo.active_of(member.id, data.kind)
    if existing is not None:
        raise SubsidyExists(existing)
    subsidy = DisabilitySubsidy(
        household_id=household.id,
        member_id=member.id,
        region_code=household.region_code,
        kind=data.kind,
        status="applied",
        applied_on=clock.today(),
    )
    await uow.create(subsidy, details={"kind": data.kind, "member_id": str(member.id)})
    await _record(uow, principal, subsidy, "apply", "", "applied", data.reason)
    return read(subsidy)


async def transition(
    uow: UnitOfWork,
    principal: Principal,
    household_id: uuid.UUID,
    subsidy_id: uuid.UUID,
    data: SubsidyTransitionIn,
    expected_version: int | None,
) -> SubsidyRead:
    household = await _household(uow.session, principal, household_id)
    subsidy = await SubsidyRepository(uow.session).get(subsidy_id, household.id, for_update=True)
    if subsidy is None:
        raise SubsidyNotFound(subsidy_id)
    uow.check_writable(subsidy)
    uow.check_version(subsidy, expected_version)
    target = MOVES.get(data.action, {}).get(subsidy.status)
    if target is None:
        allowed = sorted(a for a, moves in MOVES.items() if subsidy.status in moves)
        raise IllegalTransition(
            f"cannot {data.action} a subsidy that is {subsidy.status}",
            extra={"subsidy_status": subsidy.status, "allowed": allowed},
        )
    member = await _member(uow.session, household, subsidy.member_id)
    if data.action == "approve":
        reason = refusal(subsidy.kind, household, member)
        if reason:
            raise Unprocessable.at(("body", "action"), reason)
    previous, today = subsidy.status, clock.today()
    subsidy.status = target
    if data.action == "approve":
        subsidy.approved_on = today
        await _hold(uow, member, subsidy.kind, held=True)
    elif data.action == "exit":
        subsidy.exited_on = today
        await _hold(uow, member, subsidy.kind, held=False)
    await uow.update(
        subsidy,
        expected_version=expected_version,
        changed=["status"],
        action="disability_subsidy.transition",
        details={"action": data.action},
    )
    await _record(uow, principal, subsidy, data.action, previous, target, data.reason)
    return read(subsidy)


async def _hold(uow: UnitOfWork, member: Member, kind: str, *, held: bool) -> None:
    """Keep the member's list of subsidies held in step with the approved records."""
    kinds = {s for s in member.subsidies.split(",") if s}
    wanted = kinds | {kind} if held else kinds - {kind}
    if wanted != kinds:
        member.subsidies = ",".join(sorted(wanted))
        await uow.update(member, expected_version=None, changed=["subsidies"], audit_event=False)


async def _record(
    uow: UnitOfWork,
    principal: Principal,
    subsidy: DisabilitySubsidy,
    action: str,
    before: str,
    after: str,
    reason: str,
) -> None:
    record = SubsidyTransition(
        subsidy_id=subsidy.id,
        region_code=subsidy.region_code,
        action=action,
        from_status=before,
        to_status=after,
        reason=reason,
        actor_sub=principal.sub[:200],
        actor_name=principal.name[:100],
    )
    await uow.create(record, audit_event=False)


async def list_subsidies(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, member_id: uuid.UUID | None = None
) -> list[SubsidyRead]:
    household = await _household(session, principal, household_id)
    if member_id is not None:
        await _member(session, household, member_id)
    return [read(s) for s in await SubsidyRepository(session).of_household(household.id, member_id)]


async def get(
    session: AsyncSession,
    principal: Principal,
    household_id: uuid.UUID,
    subsidy_id: uuid.UUID,
    *,
    member_id: uuid.UUID | None = None,
) -> SubsidyRead:
    household = await _household(session, principal, household_id)
    subsidy = await SubsidyRepository(session).get(subsidy_id, household.id)
    if subsidy is None or (member_id is not None and subsidy.member_id != member_id):
        raise SubsidyNotFound(subsidy_id)
    return read(subsidy)


async def history(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, subsidy_id: uuid.UUID
) -> list[TransitionRead]:
    await get(session, principal, household_id, subsidy_id)
    transitions: Sequence[SubsidyTransition] = await SubsidyRepository(session).transitions(subsidy_id)
    return [TransitionRead.model_validate(t) for t in transitions]
