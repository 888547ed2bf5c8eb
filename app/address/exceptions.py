"""Address errors."""

from __future__ import annotations

import uuid

from app.core.errors import Conflict, NotFound


class AddressNotFound(NotFound):
    def __init__(self, address_id: uuid.UUID) -> None:
        super().__init__(f"no address {address_id}")


class DuplicateAddress(Conflict):
    """An active address with the same normalised components exists."""

    def __init__(self, existing_id: uuid.UUID, code: str, name: str) -> None:
        super().__init__(
            f"the address already exists as {code} ({name})",
            extra={"existing_id": str(existing_id), "address_code": code},
        )


class AddressRetired(Conflict):
    def __init__(self, address_id: uuid.UUID) -> None:
        super().__init__(f"address {address_id} is retired and cannot change")


class CodesExhausted(Conflict):
    pass
