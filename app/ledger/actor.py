"""Who did something, and through which request — the context every audit event carries."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Actor:
    sub: str
    roles: tuple[str, ...] = ()
    region: str = ""
    name: str = ""
    request_id: str | None = None
    client_addr: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_system(self) -> bool:
        return "system" in self.roles

    @classmethod
    def system(cls, name: str = "system", region: str = "") -> Actor:
        """The service itself: migrations, reference-data loading, scheduled work."""
        return cls(sub=f"system:{name}", roles=("system",), region=region)
