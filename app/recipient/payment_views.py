"""Reading payments: a household's payments (grants included, with their kind), the payments
in scope, a run's skips, and totals by month, kind and category."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Unprocessable
from app.core.money import from_fen
from app.core.pagination import Page, PageParams, build_page
from app.recipient.exceptions import HouseholdNotFound, PaymentRunNotFound
from app.recipient.filters import PaymentFilter, PaymentStatsFilter
from app.recipient.models import Payment, PaymentSkip
from app.recipient.payment_repository import PaymentRepository
from app.recipient.payment_schemas import PaymentRead, PaymentSkipRead, PaymentStats, PaymentTotal
from app.recipient.repository import RecipientRepository
from app.security.principal import Principal


def payment_read(payment: Payment) -> PaymentRead:
    return PaymentRead.model_validate(payment)


def skip_read(skip: PaymentSkip) -> PaymentSkipRead:
    return PaymentSkipRead.model_validate(skip)


async def payments_of(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, params: PageParams
) -> Page[PaymentRead]:
    if await RecipientRepository(session).get(household_id, principal.region) is None:
        raise HouseholdNotFound(household_id)
    rows = await PaymentRepository(session).payments_of(household_id, params)
    return build_page(rows, params, lambda p: [p.id], payment_read)


async def list_payments(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    filters: PaymentFilter,
) -> Page[PaymentRead]:
    rows = await PaymentRepository(session).search(principal.region, params, filters)
    return build_page(rows, params, lambda p: [p.id], payment_read)


async def skips_of(
    session: AsyncSession, principal: Principal, run_id: uuid.UUID, params: PageParams
) -> Page[PaymentSkipRead]:
    repo = PaymentRepository(session)
    if await repo.get_run(run_id, principal.region) is None:
        raise PaymentRunNotFound(run_id)
    return build_page(await repo.skips_of(run_id, params), params, lambda s: [s.id], skip_read)


async def stats(session: AsyncSession, principal: Principal, filters: PaymentStatsFilter) -> PaymentStats:
    """Payments (monthly and grants) counted and summed by month, kind and category."""
    region_code, month_from, month_to = filters.region_code, filters.month_from, filters.month_to
    if month_from and month_to and month_from > month_to:
        raise Unprocessable.at(("query", "month_to"), "month_to lies before month_from")
    scope = region_code if region_code and principal.covers(region_code) else principal.region
    rows = await PaymentRepository(session).totals(scope, filters)
    # SUM of fen is a Decimal on PostgreSQL, which FenMoney would read as yuan: int() then from_fen.
    items = [
        PaymentTotal(month=m, kind=k, category=c, payments=int(n), amount=from_fen(int(fen or 0)))
        for m, k, c, n, fen in rows
    ]
    return PaymentStats(
        region_code=scope,
        month_from=month_from,
        month_to=month_to,
        items=items,
        payments=sum(i.payments for i in items),
        amount=from_fen(sum(int(r[4] or 0) for r in rows)),
    )
