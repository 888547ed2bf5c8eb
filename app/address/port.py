"""The address port: what other domains may ask of the standard address register."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.address.repository import AddressRepository
from app.security.principal import Principal


@dataclass(frozen=True, slots=True)
class LinkedAddress:
    """A standard address as a record that links to it sees it."""

    id: uuid.UUID
    full_name: str
    active: bool


async def linked_address(
    session: AsyncSession, principal: Principal, address_id: uuid.UUID
) -> LinkedAddress | None:
    """The address with this id inside the principal's scope, or None."""
    address = await AddressRepository(session).get(address_id, principal.region)
    if address is None:
        return None
    return LinkedAddress(address.id, address.full_name, address.status == "active")
