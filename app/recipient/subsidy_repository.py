"""Every query on disability subsidies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.recipient.subsidy_models import DisabilitySubsidy, SubsidyTransition
from app.recipient.workflow import ACTIVE_STATUSES
from app.security.scope import scope_filter


class SubsidyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, subsidy_id: uuid.UUID, household_id: uuid.UUID, *, for_update: bool = False
    ) -> DisabilitySubsidy | None:
        query = select(DisabilitySubsidy).where(
            col(DisabilitySubsidy.id) == subsidy_id,
            col(DisabilitySubsidy.household_id) == household_id,
            col(DisabilitySubsidy.deleted_at).is_(None),
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def of_household(
        self, household_id: uuid.UUID, member_id: uuid.UUID | None = None
    ) -> Sequence[DisabilitySubsidy]:
        query = select(DisabilitySubsidy).where(
            col(DisabilitySubsidy.household_id) == household_id, col(DisabilitySubsidy.deleted_at).is_(None)
        )
        if member_id is not None:
            query = query.where(col(DisabilitySubsidy.member_id) == member_id)
        query = query.order_by(col(DisabilitySubsidy.id))
        return (await self.session.execute(query)).scalars().all()

    async def active_of(self, member_id: uuid.UUID, kind: str) -> DisabilitySubsidy | None:
        query = (
            select(DisabilitySubsidy)
            .where(
                col(DisabilitySubsidy.member_id) == member_id,
                col(DisabilitySubsidy.kind) == kind,
                col(DisabilitySubsidy.status).in_(ACTIVE_STATUSES),
                col(DisabilitySubsidy.deleted_at).is_(None),
            )
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def approved_in(self, scope: str, region_code: str) -> Sequence[DisabilitySubsidy]:
        query = (
            select(DisabilitySubsidy)
            .where(
                col(DisabilitySubsidy.status) == "approved",
                col(DisabilitySubsidy.deleted_at).is_(None),
                scope_filter(col(DisabilitySubsidy.region_code), scope),
                scope_filter(col(DisabilitySubsidy.region_code), region_code),
            )
            .order_by(col(DisabilitySubsidy.id))
        )
        return (await self.session.execute(query)).scalars().all()

    async def approved_kinds(self, member_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
        """Kinds of the approved subsidies each member holds."""
        out: dict[uuid.UUID, set[str]] = {}
        if not member_ids:
            return out
        query = select(col(DisabilitySubsidy.member_id), col(DisabilitySubsidy.kind)).where(
            col(DisabilitySubsidy.member_id).in_(list(member_ids)),
            col(DisabilitySubsidy.status) == "approved",
            col(DisabilitySubsidy.deleted_at).is_(None),
        )
        for member_id, kind in (await self.session.execute(query)).all():
            out.setdefault(member_id, set()).add(str(kind))
        return out

    async def transitions(self, subsidy_id: uuid.UUID) -> Sequence[SubsidyTransition]:
        query = (
            select(SubsidyTransition)
            .where(
                col(SubsidyTransition.subsidy_id) == subsidy_id, col(SubsidyTransition.deleted_at).is_(None)
            )
            .order_by(col(SubsidyTransition.created_at), col(SubsidyTransition.id))
        )
        return (await self.session.execute(query)).scalars().all()
