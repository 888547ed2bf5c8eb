"""Monthly payment runs: every approved household in scope is paid its benefit once a month."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden
from app.core.money import from_fen, to_fen
from app.core.pagination import Page, PageParams, build_page
from app.core.unit_of_work import UnitOfWork
from app.recipient.exceptions import HouseholdNotFound, PaymentRunNotFound
from app.recipient.models import Payment, PaymentRun
from app.recipient.repository import RecipientRepository
from app.recipient.schemas import PaymentRead, PaymentRunCreate, PaymentRunRead
from app.recipient.service import assess_eligibility
from app.region import service as regions
from app.security.principal import Principal


def run_read(run: PaymentRun) -> PaymentRunRead:
    return PaymentRunRead(
        id=run.id,
        region_code=run.region_code,
        month=run.month,
        payment_count=run.payment_count,
        total=from_fen(run.total_fen),
        skipped_count=run.skipped_count,
        created_at=run.created_at,
        version=run.version,
    )


def payment_read(payment: Payment) -> PaymentRead:
    return PaymentRead(
        id=payment.id,
        run_id=payment.run_id,
        household_id=payment.household_id,
        month=payment.month,
        category=payment.category,
        amount=from_fen(payment.amount_fen),
        member_count=payment.member_count,
        created_at=payment.created_at,
    )


async def create_run(uow: UnitOfWork, principal: Principal, data: PaymentRunCreate) -> PaymentRunRead:
    """Pay each approved household in the region its benefit for the month, unless already paid.

    The benefit is the one in force on the first day of the month. Households with no cash
    benefit (dibao-edge, tekun, temporary, or income above the standard) are counted as skipped.
    """
    if not principal.covers(data.region_code):
        raise Forbidden(f"region {data.region_code} lies outside your scope")
    await regions.require_region(uow.session, data.region_code)
    repo = RecipientRepository(uow.session)
    year, month = (int(part) for part in data.month.split("-"))
    first_day = date(year, month, 1)
    run = PaymentRun(region_code=data.region_code, month=data.month)
    await uow.create(run, audit_event=False)
    households = await repo.approved_in(principal.region, data.region_code)
    already = await repo.paid_households(data.month, [h.id for h in households])
    for household in households:
        if household.id in already:
            continue
        result = await assess_eligibility(uow.session, household, first_day)
        if not result.eligible or result.monthly_benefit <= 0:
            run.skipped_count += 1
            continue
        payment = Payment(
            run_id=run.id,
            household_id=household.id,
            region_code=household.region_code,
            month=data.month,
            category=household.category,
            amount_fen=to_fen(result.monthly_benefit),
            member_count=household.member_count,
        )
        await uow.create(payment, audit_event=False)
        run.payment_count += 1
        run.total_fen += payment.amount_fen
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
    return run_read(run)


async def get_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> PaymentRunRead:
    run = await RecipientRepository(session).get_run(run_id, principal.region)
    if run is None:
        raise PaymentRunNotFound(run_id)
    return run_read(run)


async def payments_of(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, params: PageParams
) -> Page[PaymentRead]:
    repo = RecipientRepository(session)
    if await repo.get(household_id, principal.region) is None:
        raise HouseholdNotFound(household_id)
    rows = await repo.payments_of(household_id, params)
    return build_page(rows, params, lambda p: [p.id], payment_read)
