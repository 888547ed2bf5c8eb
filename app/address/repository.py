"""Queries on the register: records by id, plate and key, and the look-ups code allocation
needs. Search and match queries live in :mod:`app.address.search`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.address.codes import LEVELS, Level, code_range
from app.address.components import Components
from app.address.models import Address
from app.core.db import dialect_of
from app.security.scope import scope_filter


def live() -> Select[Address]:
    return select(Address).where(col(Address.deleted_at).is_(None))


_LEVEL_FIELDS = [name for level in LEVELS for name in level.fields]


def _sharing_statement() -> Select[Any]:
    """One row: per level, a code of an active address with the same components down to
    that level (built once; values are bound per call)."""
    columns = []
    for index in range(len(LEVELS)):
        query = select(col(Address.address_code)).where(
            col(Address.region_code) == bindparam("region_code"),
            col(Address.deleted_at).is_(None),
            col(Address.status) == "active",
        )
        for level in LEVELS[: index + 1]:
            for name in level.fields:
                query = query.where(getattr(Address, name) == bindparam(name))
        columns.append(query.limit(1).scalar_subquery().label(f"level{index}"))
    return select(*columns)


_SHARING = _sharing_statement()


class AddressRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def is_postgres(self) -> bool:
        return dialect_of(self.session) == "postgresql"

    async def get(self, address_id: uuid.UUID, scope: str, *, for_update: bool = False) -> Address | None:
        """A live address inside ``scope`` (the scope is part of the query)."""
        query = live().where(col(Address.id) == address_id, scope_filter(col(Address.region_code), scope))
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_any(self, address_id: uuid.UUID | str, *, for_update: bool = False) -> Address:
        """A live address by id, whatever its region (for writes the caller has scoped)."""
        query = live().where(col(Address.id) == uuid.UUID(str(address_id)))
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one()

    async def get_many(self, ids: Sequence[uuid.UUID]) -> list[Address]:
        if not ids:
            return []
        query = live().where(col(Address.id).in_(ids))
        return list((await self.session.execute(query)).scalars().all())

    async def by_plate(self, plate_code: str) -> Address | None:
        query = live().where(col(Address.plate_code) == plate_code)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_match_key(self, key: str, *, for_update: bool = False) -> Address | None:
        """The live, active address with this key."""
        query = live().where(col(Address.match_key) == key, col(Address.status) == "active")
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def code_taken(self, address_code: str) -> bool:
        query = select(func.count()).where(col(Address.address_code) == address_code)
        return bool((await self.session.execute(query)).scalar_one())

    async def plate_taken(self, plate_code: str) -> bool:
        query = select(func.count()).where(col(Address.plate_code) == plate_code)
        return bool((await self.session.execute(query)).scalar_one())

    async def holds_addresses(self, region_code: str) -> bool:
        """Whether a live, active address has exactly this region."""
        query = select(
            live().where(col(Address.region_code) == region_code, col(Address.status) == "active").exists()
        )
        return bool((await self.session.execute(query)).scalar_one())

    # code allocation

    async def lock_region(self, region_code: str) -> None:
        """Serialise code allocation within a region until the transaction ends. (SQLite's
        write transactions are serial already.)"""
        if self.is_postgres:
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"address:{region_code}"}
            )

    async def sharing_codes(self, region_code: str, parts: Components) -> list[str | None]:
        """For each level, the code of one live, active address in the region with the same
        components down to that level (None when there is none) — one round trip."""
        values = {"region_code": region_code, **{name: getattr(parts, name) for name in _LEVEL_FIELDS}}
        row = (await self.session.execute(_SHARING, values)).one()
        return [str(code) if code else None for code in row]

    async def issued_segment(
        self, level: Level, prefix: str, region_code: str, parts: Components, through: int
    ) -> str | None:
        """The segment a live, active address under ``prefix`` holds for the same components,
        levels ``0..through`` (inclusive) of :data:`~app.address.codes.LEVELS`."""
        low, high = code_range(prefix)
        query = select(col(Address.address_code)).where(
            col(Address.region_code) == region_code,
            col(Address.deleted_at).is_(None),
            col(Address.status) == "active",
            col(Address.address_code).between(low, high),
        )
        for current in LEVELS[: through + 1]:
            for name in current.fields:
                query = query.where(getattr(Address, name) == getattr(parts, name))
        found = (await self.session.execute(query.limit(1))).scalar_one_or_none()
        return found[level.start : level.end] if found else None

    async def highest_code(self, prefix: str) -> str | None:
        """The highest code ever issued under ``prefix`` (tombstones included)."""
        low, high = code_range(prefix)
        query = select(func.max(col(Address.address_code))).where(
            col(Address.address_code).between(low, high)
        )
        found = (await self.session.execute(query)).scalar_one_or_none()
        return str(found) if found else None
