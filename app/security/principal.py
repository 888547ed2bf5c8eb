"""The authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass

from app.ledger.actor import Actor
from app.security.scope import in_scope, region_prefix

ROLES = ("viewer", "operator", "admin", "auditor", "sync")


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    roles: tuple[str, ...]
    region: str
    name: str = ""
    token_id: str | None = None

    @property
    def prefix(self) -> str:
        return region_prefix(self.region)

    def covers(self, region_code: str) -> bool:
        return in_scope(self.region, region_code)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def actor(self, request_id: str | None = None, client_addr: str | None = None) -> Actor:
        return Actor(
            sub=self.sub,
            roles=self.roles,
            region=self.region,
            name=self.name,
            request_id=request_id,
            client_addr=client_addr,
        )
