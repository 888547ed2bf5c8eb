"""The charity-trust port: typed read functions other domains use, never the trust tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.charity_trust.models import CharityTrust


@dataclass(frozen=True, slots=True)
class TrustRef:
    id: uuid.UUID
    name: str
    region_code: str
    status: str


async def trust(session: AsyncSession, trust_id: uuid.UUID) -> TrustRef | None:
    """A live trust on this node, wherever it was filed (a filing is public)."""
    query = select(
        col(CharityTrust.id), col(CharityTrust.name), col(CharityTrust.region_code), col(CharityTrust.status)
    ).where(col(CharityTrust.id) == trust_id, col(CharityTrust.deleted_at).is_(None))
    row = (await session.execute(query)).first()
    return TrustRef(row[0], row[1], row[2], row[3]) if row is not None else None
