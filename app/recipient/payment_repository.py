"""Every query on payment runs, payments and skips."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import dialect_of
from app.core.pagination import PageParams, keyset
from app.recipient.filters import PaymentFilter, PaymentStatsFilter
from app.recipient.models import Household, Member, Payment, PaymentRun, PaymentSkip
from app.security.scope import scope_filter

PaidKey = tuple[uuid.UUID, uuid.UUID | None, str]


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def serialize_month(self, month: str) -> None:
        """Make payment runs of one month take turns (PostgreSQL: a transaction-scoped advisory
        lock; SQLite's write transactions take turns already). Runs of overlapping regions
        then never race to pay the same household."""
        if dialect_of(self.session) == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext('mzbrain.payment_run'), hashtext(:month))"),
                {"month": month},
            )

    async def run_for(self, region_code: str, month: str) -> PaymentRun | None:
        query = select(PaymentRun).where(
            col(PaymentRun.region_code) == region_code,
            col(PaymentRun.month) == month,
            col(PaymentRun.deleted_at).is_(None),
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_run(self, run_id: uuid.UUID, scope: str) -> PaymentRun | None:
        query = select(PaymentRun).where(
            col(PaymentRun.id) == run_id,
            col(PaymentRun.deleted_at).is_(None),
            scope_filter(col(PaymentRun.region_code), scope),
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def paid(self, month: str, household_ids: Sequence[uuid.UUID]) -> set[PaidKey]:
        """(household, member, kind) already paid for ``month`` among these households."""
        found: set[PaidKey] = set()
        ids = sorted(set(household_ids))
        for start in range(0, len(ids), 1000):
            query = select(col(Payment.household_id), col(Payment.member_id), col(Payment.kind)).where(
                col(Payment.month) == month,
                col(Payment.household_id).in_(ids[start : start + 1000]),
                col(Payment.run_id).is_not(None),
                col(Payment.deleted_at).is_(None),
            )
            found.update((h, m, str(k)) for h, m, k in (await self.session.execute(query)).all())
        return found

    async def households(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Household]:
        if not ids:
            return {}
        query = select(Household).where(col(Household.id).in_(sorted(set(ids))))
        return {h.id: h for h in (await self.session.execute(query)).scalars().all()}

    async def members_by_id(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Member]:
        if not ids:
            return {}
        query = select(Member).where(col(Member.id).in_(sorted(set(ids))), col(Member.deleted_at).is_(None))
        return {m.id: m for m in (await self.session.execute(query)).scalars().all()}

    async def payments_of(self, household_id: uuid.UUID, params: PageParams) -> Sequence[Payment]:
        query = select(Payment).where(
            col(Payment.household_id) == household_id, col(Payment.deleted_at).is_(None)
        )
        return (
            (await self.session.execute(keyset(query, [col(Payment.id)], params, descending=True)))
            .scalars()
            .all()
        )

    async def search(
        self,
        scope: str,
        params: PageParams,
        f: PaymentFilter,
    ) -> Sequence[Payment]:
        """A page of the live payments in scope matching ``f``, newest first."""
        query = select(Payment).where(
            col(Payment.deleted_at).is_(None), scope_filter(col(Payment.region_code), scope)
        )
        if f.region_code:
            query = query.where(scope_filter(col(Payment.region_code), f.region_code))
        if f.month:
            query = query.where(col(Payment.month) == f.month)
        if f.kind:
            query = query.where(col(Payment.kind) == f.kind)
        if f.run_id:
            query = query.where(col(Payment.run_id) == f.run_id)
        return (
            (await self.session.execute(keyset(query, [col(Payment.id)], params, descending=True)))
            .scalars()
            .all()
        )

    async def skips_of(self, run_id: uuid.UUID, params: PageParams) -> Sequence[PaymentSkip]:
        query = select(PaymentSkip).where(
            col(PaymentSkip.run_id) == run_id, col(PaymentSkip.deleted_at).is_(None)
        )
        return (await self.session.execute(keyset(query, [col(PaymentSkip.id)], params))).scalars().all()

    async def skip_counts(self, run_id: uuid.UUID) -> dict[str, int]:
        query = (
            select(col(PaymentSkip.reason_code), func.count())
            .where(col(PaymentSkip.run_id) == run_id, col(PaymentSkip.deleted_at).is_(None))
            .group_by(col(PaymentSkip.reason_code))
        )
        return {str(code): int(n) for code, n in (await self.session.execute(query)).all()}

    async def kind_totals(self, run_id: uuid.UUID) -> dict[str, int]:
        query = (
            select(col(Payment.kind), func.sum(col(Payment.amount_fen)))
            .where(col(Payment.run_id) == run_id, col(Payment.deleted_at).is_(None))
            .group_by(col(Payment.kind))
        )
        return {str(kind): int(total or 0) for kind, total in (await self.session.execute(query)).all()}

    async def totals(self, scope: str, f: PaymentStatsFilter) -> list[Any]:
        """(month, kind, category, count, amount in fen) of live payments in scope within the
        months of ``f``. The service settles the region into ``scope`` (``f.region_code`` when
        the caller covers it, else the caller's scope), so ``f.region_code`` is not read here."""
        query = select(
            col(Payment.month),
            col(Payment.kind),
            col(Payment.category),
            func.count().label("payments"),
            func.sum(col(Payment.amount_fen)).label("amount_fen"),
        ).where(col(Payment.deleted_at).is_(None), scope_filter(col(Payment.region_code), scope))
        if f.month_from:
            query = query.where(col(Payment.month) >= f.month_from)
        if f.month_to:
            query = query.where(col(Payment.month) <= f.month_to)
        query = query.group_by(col(Payment.month), col(Payment.kind), col(Payment.category)).order_by(
            col(Payment.month), col(Payment.kind), col(Payment.category)
        )
        return list((await self.session.execute(query)).all())
