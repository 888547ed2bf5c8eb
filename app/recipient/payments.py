"""Monthly payment runs: every category paid once a month, per region.

One run per region and month. A run for a month after the current local month is refused
(422); a second request for the same region and month — at the same moment or later — answers
409 naming the existing run (runs of one month take turns, so concurrent requests never end
in a database error). What each household and member is owed comes from
:mod:`app.recipient.entitlement`; everything not paid is recorded as a skip with its reason.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.calendar import age_on
from app.core.clock import clock
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.core.money import to_fen
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import capabilities, deaths, entitlement, tekun
from app.recipient.eligibility import monthly
from app.recipient.exceptions import PaymentRunNotFound
from app.recipient.models import Household, Member, Payment, PaymentRun, PaymentSkip
from app.recipient.payment_repository import PaidKey, PaymentRepository
from app.recipient.payment_schemas import PaymentRunCreate, PaymentRunRead
from app.recipient.repository import RecipientRepository
from app.recipient.subsidy_repository import SubsidyRepository
from app.region import service as regions
from app.security.principal import Principal
from app.standard import service as standards


class RunExists(Conflict):
    def __init__(self, run: PaymentRun | None, region_code: str, month: str) -> None:
        if run is None:
            super().__init__(f"a payment run for {region_code} and {month} exists already")
            return
        super().__init__(
            f"a payment run for {region_code} and {month} exists already: {run.id}",
            extra={"run_id": str(run.id), "run": f"/api/v1/payment-runs/{run.id}"},
        )


def run_read(run: PaymentRun, skipped: dict[str, int], totals: dict[str, int]) -> PaymentRunRead:
    # The skip counts and the fen totals by kind are sums over the run's skips and payments.
    return PaymentRunRead.model_validate(
        {
            **run.model_dump(),
            "skipped_by_reason": dict(sorted(skipped.items())),
            "totals_by_kind": dict(sorted(totals.items())),
        }
    )


class _Rates:
    """Standards in force on the first day of the month, looked up once per region."""

    def __init__(self, session: AsyncSession, day: date) -> None:
        self.session = session
        self.day = day
        self._cache: dict[str, entitlement.Rates] = {}

    async def _value(self, kind: str, region_code: str) -> int | None:
        value = await standards.effective_value(self.session, kind, region_code, self.day)
        return to_fen(value) if value is not None else None

    async def of(self, region_code: str) -> entitlement.Rates:
        if region_code in self._cache:
            return self._cache[region_code]
        annual = await standards.effective_value(self.session, "dibao_annual", region_code, self.day)
        tekun_annual = await standards.effective_value(
            self.session, "tekun_basic_annual", region_code, self.day
        )
        basic = tekun.basic_monthly(annual, tekun_annual)
        rates = entitlement.Rates(
            dibao_monthly=to_fen(monthly(annual)) if annual is not None else None,
            tekun_basic_monthly=to_fen(basic) if basic is not None else None,
            care={tier: await self._value(kind, region_code) for tier, kind in tekun.CARE_STANDARD.items()},
            living_monthly=await self._value("disability_living_monthly", region_code),
            nursing_monthly=await self._value("disability_nursing_monthly", region_code),
        )
        self._cache[region_code] = rates
        return rates


@dataclass
class _Facts:
    households: dict[uuid.UUID, Household]
    members: dict[uuid.UUID, list[Member]]
    died: dict[str, date]
    capability: dict[str, capabilities.Capability]


def _care_tier(member: Member, facts: _Facts, first_day: date) -> tuple[tekun.Tier | None, str]:
    """The member's care-allowance tier on ``first_day``, or None and why: from 60 the GB/T
    42195-2022 capability assessment, under 60 the self-care record (民发〔2021〕43号 art. 12)."""
    age = age_on(member.birth_date, first_day)
    if age < tekun.SELF_CARE_AGE:
        assessed_on = member.self_care_assessed_on
        if tekun.self_care_current(assessed_on, first_day):
            return tekun.tier_of_self_care(tekun.parse_unable(member.self_care_unable)), ""
        last = f"last assessed {assessed_on}" if assessed_on else "never assessed"
        return None, f"no self-care assessment in force ({last}; aged {age}): no care-allowance tier"
    note = "never assessed"
    found = facts.capability.get(member.id_number_hash)
    if found is not None:
        if found.current_on(first_day):
            tier = tekun.tier_of(found.level_code)
            if tier is not None:
                return tier, ""
        else:
            note = f"last assessed {found.assessed_on}, due again on {found.next_due_on}"
    return None, f"no capability assessment in force ({note}; aged {age}): no care-allowance tier"


def _person(member: Member, facts: _Facts, first_day: date) -> entitlement.Person:
    tier, note = _care_tier(member, facts, first_day)
    return entitlement.Person(
        member_id=member.id,
        relation=member.relation,
        died_on=facts.died.get(member.id_number_hash),
        disability_grade=member.disability_grade,
        care_tier=tier,
        assessment_note=note,
    )


async def _gather(
    session: AsyncSession, households: list[Household], extra_household_ids: list[uuid.UUID]
) -> _Facts:
    by_id = {h.id: h for h in households}
    missing = [i for i in extra_household_ids if i not in by_id]
    by_id.update(await PaymentRepository(session).households(missing))
    repo = RecipientRepository(session)
    ids = sorted(by_id)
    people: dict[uuid.UUID, list[Member]] = {}
    for start in range(0, len(ids), 1000):
        for member in await repo.members(ids[start : start + 1000]):
            people.setdefault(member.household_id, []).append(member)
    hashes = [m.id_number_hash for group in people.values() for m in group]
    tekun_hashes = [
        m.id_number_hash for h in households if h.category == "tekun" for m in people.get(h.id, [])
    ]
    return _Facts(
        households=by_id,
        members=people,
        died=await deaths.died_on_by_hash(session, hashes),
        capability=await capabilities.capabilities(session, tekun_hashes),
    )


async def create_run(uow: UnitOfWork, principal: Principal, data: PaymentRunCreate) -> PaymentRunRead:
    if not principal.covers(data.region_code):
        raise Forbidden(f"region {data.region_code} lies outside your scope")
    await regions.require_region(uow.session, data.region_code)
    current = clock.this_month()
    if data.month > current:
        raise Unprocessable.at(
            ("body", "month"),
            f"{data.month} lies after the current month ({current}, {clock.zone}); runs pay the current "
            "or a past month",
        )
    repo = PaymentRepository(uow.session)
    await repo.serialize_month(data.month)
    existing = await repo.run_for(data.region_code, data.month)
    if existing is not None:
        raise RunExists(existing, data.region_code, data.month)
    run = PaymentRun(region_code=data.region_code, month=data.month)
    try:
        async with uow.session.begin_nested():
            await uow.create(run, audit_event=False)
    except IntegrityError:
        raise RunExists(
            await repo.run_for(data.region_code, data.month), data.region_code, data.month
        ) from None
    year, month = (int(part) for part in data.month.split("-"))
    first_day = date(year, month, 1)
    households = list(await RecipientRepository(uow.session).approved_in(principal.region, data.region_code))
    subsidies = list(await SubsidyRepository(uow.session).approved_in(principal.region, data.region_code))
    facts = await _gather(uow.session, households, [s.household_id for s in subsidies])
    paid = await repo.paid(data.month, list(facts.households))
    rates = _Rates(uow.session, first_day)
    skipped: Counter[str] = Counter()
    totals: Counter[str] = Counter()

    async def settle(household: Household, outcome: entitlement.Outcome) -> None:
        dues, skips = outcome
        for due in dues:
            key: PaidKey = (household.id, due.member_id, due.kind)
            if key in paid:
                skips.append(entitlement.Skip(due.kind, due.member_id, "already_paid", "paid by another run"))
                continue
            paid.add(key)
            await _pay(uow, run, household, due)
            totals[due.kind] += due.amount_fen
        for skip in skips:
            await _skip(uow, run, household, skip)
            skipped[skip.reason_code] += 1

    for household in households:
        people = tuple(_person(m, facts, first_day) for m in facts.members.get(household.id, []))
        fact = entitlement.Household(
            household.id, household.category, household.monthly_income_fen, household.approved_on, people
        )
        await settle(
            household, entitlement.household_dues(fact, await rates.of(household.region_code), data.month)
        )
    for subsidy in subsidies:
        household = facts.households[subsidy.household_id]
        member = next((m for m in facts.members.get(household.id, []) if m.id == subsidy.member_id), None)
        if member is None or household.deleted_at is not None:
            gone = entitlement.Skip(subsidy.kind, subsidy.member_id, "member_removed", "no longer a member")
            await settle(household, ([], [gone]))
            continue
        claim = entitlement.Subsidy(
            subsidy.kind,
            household.category,
            household.status,
            subsidy.approved_on,
            _person(member, facts, first_day),
        )
        await settle(
            household, entitlement.subsidy_dues(claim, await rates.of(household.region_code), data.month)
        )
    await uow.update(
        run,
        expected_version=None,
        action="payment_run.create",
        details={
            "month": data.month,
            "payments": run.payment_count,
            "total_fen": run.total_fen,
            "skipped": run.skipped_count,
        },
    )
    return run_read(run, dict(skipped), dict(totals))


async def _pay(uow: UnitOfWork, run: PaymentRun, household: Household, due: entitlement.Due) -> None:
    payment = Payment(
        run_id=run.id,
        household_id=household.id,
        member_id=due.member_id,
        region_code=household.region_code,
        month=run.month,
        category=household.category,
        kind=due.kind,
        amount_fen=due.amount_fen,
        member_count=due.member_count,
    )
    await uow.create(payment, audit_event=False)
    run.payment_count += 1
    run.total_fen += due.amount_fen


async def _skip(uow: UnitOfWork, run: PaymentRun, household: Household, skip: entitlement.Skip) -> None:
    record = PaymentSkip(
        run_id=run.id,
        household_id=household.id,
        member_id=skip.member_id,
        region_code=household.region_code,
        kind=skip.kind,
        reason_code=skip.reason_code,
        reason=skip.reason[:300],
    )
    await uow.create(record, audit_event=False)
    run.skipped_count += 1


async def get_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> PaymentRunRead:
    repo = PaymentRepository(session)
    run = await repo.get_run(run_id, principal.region)
    if run is None:
        raise PaymentRunNotFound(run_id)
    return run_read(run, await repo.skip_counts(run.id), await repo.kind_totals(run.id))
