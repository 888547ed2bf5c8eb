"""Every query on death records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.pagination import PageParams, keyset
from app.recipient.death_models import DeathRecord
from app.recipient.filters import DeathFilter
from app.security.scope import scope_filter


class DeathRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_hash(self, id_hash: str) -> DeathRecord | None:
        query = select(DeathRecord).where(
            col(DeathRecord.id_number_hash) == id_hash, col(DeathRecord.deleted_at).is_(None)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get(self, death_id: uuid.UUID, scope: str, *, for_update: bool = False) -> DeathRecord | None:
        query = select(DeathRecord).where(
            col(DeathRecord.id) == death_id,
            col(DeathRecord.deleted_at).is_(None),
            scope_filter(col(DeathRecord.region_code), scope),
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def died_on(self, id_hashes: Sequence[str]) -> dict[str, date]:
        """``{ID hash: date of death}`` for the people among ``id_hashes`` recorded dead."""
        if not id_hashes:
            return {}
        found: dict[str, date] = {}
        hashes = sorted(set(id_hashes))
        for start in range(0, len(hashes), 1000):
            query = select(col(DeathRecord.id_number_hash), col(DeathRecord.died_on)).where(
                col(DeathRecord.id_number_hash).in_(hashes[start : start + 1000]),
                col(DeathRecord.deleted_at).is_(None),
            )
            found.update({str(h): d for h, d in (await self.session.execute(query)).all()})
        return found

    async def search(
        self,
        scope: str,
        params: PageParams,
        f: DeathFilter,
        *,
        id_hash: str | None,
    ) -> Sequence[DeathRecord]:
        """A page of the death records in scope matching ``f``, newest first; ``id_hash`` is
        the blind index of ``f.id_number``."""
        query = select(DeathRecord).where(
            col(DeathRecord.deleted_at).is_(None), scope_filter(col(DeathRecord.region_code), scope)
        )
        if id_hash:
            query = query.where(col(DeathRecord.id_number_hash) == id_hash)
        if f.died_from:
            query = query.where(col(DeathRecord.died_on) >= f.died_from)
        if f.died_to:
            query = query.where(col(DeathRecord.died_on) <= f.died_to)
        query = keyset(query, [col(DeathRecord.id)], params, descending=True)
        return (await self.session.execute(query)).scalars().all()
