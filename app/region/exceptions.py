"""Region errors."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound, Unprocessable


class RegionNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"no region {code}")


class RegionExists(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"region {code} already exists")


class UnknownRegion(Unprocessable):
    """A record names a region code the register does not hold (or no longer in force)."""

    def __init__(self, loc: tuple[str | int, ...], code: str, reason: str = "is not a known region") -> None:
        msg = f"region {code} {reason}"
        super().__init__(msg, errors=[{"loc": list(loc), "msg": msg}])
