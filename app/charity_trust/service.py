"""Charity trusts: create, read, edit drafts, file, terminate."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.charity_trust import composition, deadlines, lifecycle, parties
from app.charity_trust.composition import Problem
from app.charity_trust.exceptions import TrustNotFound, WrongStatus
from app.charity_trust.filters import TrustFilter
from app.charity_trust.models import CharityTrust, TrustParty
from app.charity_trust.repository import TrustRepository
from app.charity_trust.schemas import (
    CharityTrustCreate,
    CharityTrustRead,
    CharityTrustUpdate,
    FilingIn,
    SupervisorIn,
    SupervisorRead,
    TermIn,
    TerminationIn,
    TermRead,
)
from app.core.clock import clock
from app.core.errors import Forbidden, Unprocessable
from app.core.money import to_fen
from app.core.pagination import Page, PageParams, build_page
from app.ledger.unit_of_work import UnitOfWork
from app.region import service as regions
from app.security.pii import PiiCipher
from app.security.principal import Principal

FILING_LEVELS = ("province", "city", "county")
"""Trusts are filed with a civil-affairs department of county level or above."""

T = TypeVar("T")


def raise_problems(problems: Sequence[Problem]) -> None:
    if problems:
        raise Unprocessable(
            problems[0].msg, errors=[{"loc": ["body", *p.loc], "msg": p.msg} for p in problems]
        )


def check_operation(operation: str, status: str) -> None:
    try:
        lifecycle.check(operation, status)
    except lifecycle.IllegalOperation as exc:
        raise WrongStatus(str(exc), status, exc.allowed) from None


def supervisor_of(trust: CharityTrust) -> SupervisorRead | None:
    if trust.supervisor_name is None:
        return None
    return SupervisorRead(name=trust.supervisor_name, uscc=trust.supervisor_uscc)


def shape(
    pii: PiiCipher, trust: CharityTrust, people: Sequence[TrustParty], *, reveal: bool = False
) -> CharityTrustRead:
    """The trust with its parties, read from their own table (a trustor's ID number masked unless
    revealed), the term and the filing deadline derived from the row."""
    return CharityTrustRead(
        id=trust.id,
        version=trust.version,
        region_code=trust.region_code,
        name=trust.name,
        purpose=trust.purpose,
        purpose_categories=list(trust.purpose_categories),
        trustors=[parties.trustor_read(pii, p, reveal=reveal) for p in parties.of_role(people, "trustor")],
        trustees=[parties.trustee_read(p) for p in parties.of_role(people, "trustee")],
        supervisor=supervisor_of(trust),
        custodian_bank=trust.custodian_bank,
        property_type=trust.property_type,
        initial_amount_fen=trust.initial_amount_fen,
        current_amount_fen=trust.current_amount_fen,
        signed_on=trust.signed_on,
        term=TermRead(perpetual=trust.perpetual, end_on=trust.end_on),
        status=trust.status,
        filing_number=trust.filing_number,
        filed_on=trust.filed_on,
        filing_due=deadlines.filing_due(trust.signed_on),
        late_filing=trust.late_filing,
        terminated_on=trust.terminated_on,
        termination_reason=trust.termination_reason,
        termination_reported_on=trust.termination_reported_on,
        late_termination=trust.late_termination,
        origin=trust.origin,
        created_at=trust.created_at,
        updated_at=trust.updated_at,
    )


async def _check_authority(session: AsyncSession, principal: Principal, region_code: str) -> None:
    if not principal.covers(region_code):
        raise Forbidden(f"region {region_code} lies outside your scope")
    await regions.require_region(session, region_code, levels=FILING_LEVELS)


def _number_taken(number: str) -> Unprocessable:
    return Unprocessable.at(
        ("body", "filing_number"), f"filing number {number} is already used by this filing authority"
    )


async def _check_filing_number(
    repo: TrustRepository, region_code: str, number: str, own: uuid.UUID | None
) -> None:
    if await repo.filing_number_taken(region_code, number, other_than=own):
        raise _number_taken(number)


async def _unique_number(write: Awaitable[T], number: str | None) -> T:
    """Run a write that sets a filing number; a concurrent twin loses on the unique constraint."""
    try:
        return await write
    except IntegrityError:
        raise _number_taken(number or "") from None


async def load(repo: TrustRepository, principal: Principal, trust_id: uuid.UUID) -> CharityTrust:
    """A trust in scope, locked for update (404 outside scope)."""
    trust = await repo.get(trust_id, principal.region, for_update=True)
    if trust is None:
        raise TrustNotFound(trust_id)
    return trust


async def create(
    uow: UnitOfWork, principal: Principal, pii: PiiCipher, data: CharityTrustCreate
) -> CharityTrustRead:
    await _check_authority(uow.session, principal, data.region_code)
    today = clock.today()
    raise_problems(
        [
            *composition.check_trustors(data.trustors),
            *composition.check_trustees(data.trustees),
            *composition.check_supervisor(data.supervisor, {t.uscc for t in data.trustees}),
            *composition.check_signed_on(data.signed_on, today),
            *composition.check_term(data.term, data.signed_on),
            *composition.check_filing(data.filing_number, data.filed_on, data.signed_on, today),
        ]
    )
    repo = TrustRepository(uow.session)
    if data.filing_number:
        await _check_filing_number(repo, data.region_code, data.filing_number, None)
    status = lifecycle.initial_status(data.filing_number, data.filed_on)
    amount = to_fen(data.initial_amount)
    trust = CharityTrust(
        region_code=data.region_code,
        name=data.name,
        purpose=data.purpose,
        purpose_categories=list(data.purpose_categories),
        supervisor_name=data.supervisor.name if data.supervisor else None,
        supervisor_uscc=data.supervisor.uscc if data.supervisor else None,
        custodian_bank=data.custodian_bank,
        property_type=data.property_type,
        initial_amount_fen=amount,
        current_amount_fen=amount,
        signed_on=data.signed_on,
        perpetual=data.term.perpetual,
        end_on=data.term.end_on,
        status=status,
        filing_number=data.filing_number,
        filed_on=data.filed_on,
        late_filing=data.filed_on is not None and deadlines.filing_late(data.signed_on, data.filed_on),
    )
    await _unique_number(uow.create(trust, details={"status": status}), data.filing_number)
    wanted: list[tuple[str, int, parties.PartyIn]] = [
        *(("trustor", i, t) for i, t in enumerate(data.trustors)),
        *(("trustee", i, t) for i, t in enumerate(data.trustees)),
    ]
    people: list[TrustParty] = []
    for role, position, item in wanted:
        party = parties.build(pii, trust, role, position, item)
        await uow.create(party, audit_event=False)
        people.append(party)
    return shape(pii, trust, people)


async def get(
    session: AsyncSession, principal: Principal, pii: PiiCipher, trust_id: uuid.UUID, *, reveal: bool = False
) -> CharityTrustRead:
    repo = TrustRepository(session)
    trust = await repo.get(trust_id, principal.region)
    if trust is None:
        raise TrustNotFound(trust_id)
    return shape(pii, trust, await repo.parties([trust.id]), reveal=reveal)


async def list_trusts(
    session: AsyncSession, principal: Principal, pii: PiiCipher, params: PageParams, filters: TrustFilter
) -> Page[CharityTrustRead]:
    repo = TrustRepository(session)
    rows, total = await repo.search(principal.region, params, filters)
    by_trust: dict[uuid.UUID, list[TrustParty]] = {}
    for party in await repo.parties([t.id for t in rows[: params.limit]]):
        by_trust.setdefault(party.trust_id, []).append(party)
    return build_page(rows, params, lambda t: [t.id], lambda t: shape(pii, t, by_trust.get(t.id, [])), total)


def _edit_problems(
    trust: CharityTrust, people: Sequence[TrustParty], data: CharityTrustUpdate
) -> list[Problem]:
    given = data.model_fields_set
    today = clock.today()
    signed_on = data.signed_on or trust.signed_on
    problems: list[Problem] = []
    if data.trustors is not None:
        problems += composition.check_trustors(data.trustors)
    if data.trustees is not None:
        problems += composition.check_trustees(data.trustees)
        usccs = {t.uscc for t in data.trustees}
    else:
        usccs = {p.uscc or "" for p in parties.of_role(people, "trustee")}
    supervisor: SupervisorIn | None = None
    if "supervisor" in given:
        supervisor = data.supervisor
    elif trust.supervisor_name is not None:
        supervisor = SupervisorIn(name=trust.supervisor_name, uscc=trust.supervisor_uscc)
    problems += composition.check_supervisor(supervisor, usccs)
    if data.signed_on is not None:
        problems += composition.check_signed_on(data.signed_on, today)
    if data.term is not None:
        problems += composition.check_term(data.term, signed_on)
    elif data.signed_on is not None:
        current = TermIn(perpetual=trust.perpetual, end_on=trust.end_on)
        if composition.check_term(current, signed_on):
            problems.append(Problem(("signed_on",), "the signing date must be before the end of the term"))
    return problems


async def update(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    trust_id: uuid.UUID,
    data: CharityTrustUpdate,
    expected_version: int,
) -> CharityTrustRead:
    repo = TrustRepository(uow.session)
    trust = await load(repo, principal, trust_id)
    uow.check_writable(trust)
    uow.check_version(trust, expected_version)
    check_operation("edit", trust.status)
    people = await repo.parties([trust.id], for_update=True)
    raise_problems(_edit_problems(trust, people, data))
    values: dict[str, object] = {}
    for key in ("name", "purpose", "custodian_bank", "property_type", "signed_on"):
        if getattr(data, key) is not None:
            values[key] = getattr(data, key)
    if data.purpose_categories is not None:
        values["purpose_categories"] = list(data.purpose_categories)
    if data.initial_amount is not None:
        values["initial_amount_fen"] = values["current_amount_fen"] = to_fen(data.initial_amount)
    if data.term is not None:
        values["perpetual"], values["end_on"] = data.term.perpetual, data.term.end_on
    if "supervisor" in data.model_fields_set:
        values["supervisor_name"] = data.supervisor.name if data.supervisor else None
        values["supervisor_uscc"] = data.supervisor.uscc if data.supervisor else None
    changed = [key for key, value in values.items() if getattr(trust, key) != value]
    for key in changed:
        setattr(trust, key, values[key])
    for role, wanted in (("trustor", data.trustors), ("trustee", data.trustees)):
        if wanted is not None:
            kept = await parties.replace(uow, pii, trust, role, people, wanted)
            people = [p for p in people if p.role != role] + kept
            changed.append(f"{role}s")
    await uow.update(trust, expected_version=expected_version, changed=changed)
    return shape(pii, trust, people)


async def file(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    trust_id: uuid.UUID,
    data: FilingIn,
    expected_version: int | None,
) -> CharityTrustRead:
    repo = TrustRepository(uow.session)
    trust = await load(repo, principal, trust_id)
    uow.check_writable(trust)
    uow.check_version(trust, expected_version)
    check_operation("file", trust.status)
    today = clock.today()
    filed_on = data.filed_on or today
    raise_problems(composition.check_filed_on(filed_on, trust.signed_on, today))
    await _check_filing_number(repo, trust.region_code, data.filing_number, trust.id)
    trust.status = lifecycle.next_status("file", trust.status)
    trust.filing_number = data.filing_number
    trust.filed_on = filed_on
    trust.late_filing = deadlines.filing_late(trust.signed_on, filed_on)
    await _unique_number(
        uow.update(
            trust,
            expected_version=expected_version,
            changed=["status", "filing_number", "filed_on"],
            action="charity_trust.file",
            details={"late_filing": trust.late_filing},
        ),
        data.filing_number,
    )
    return shape(pii, trust, await repo.parties([trust.id]))


async def terminate(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    trust_id: uuid.UUID,
    data: TerminationIn,
    expected_version: int | None,
) -> CharityTrustRead:
    repo = TrustRepository(uow.session)
    trust = await load(repo, principal, trust_id)
    uow.check_writable(trust)
    uow.check_version(trust, expected_version)
    check_operation("terminate", trust.status)
    today = clock.today()
    reported_on = data.reported_on or today
    raise_problems(
        [
            *composition.check_day(
                data.terminated_on,
                not_before=trust.filed_on or trust.signed_on,
                not_after=today,
                at=("terminated_on",),
                what="the termination date",
            ),
            *composition.check_day(
                reported_on,
                not_before=data.terminated_on,
                not_after=today,
                at=("reported_on",),
                what="the report date",
            ),
        ]
    )
    trust.status = lifecycle.next_status("terminate", trust.status)
    trust.terminated_on = data.terminated_on
    trust.termination_reason = data.reason
    trust.termination_reported_on = reported_on
    trust.late_termination = deadlines.termination_late(data.terminated_on, reported_on)
    await uow.update(
        trust,
        expected_version=expected_version,
        changed=["status", "terminated_on", "termination_reason"],
        action="charity_trust.terminate",
        details={"late": trust.late_termination},
    )
    return shape(pii, trust, await repo.parties([trust.id]))
