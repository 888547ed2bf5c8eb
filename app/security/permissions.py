"""The permission table: which role may do which action on which resource.

Actions are ``resource:verb``. ``viewer`` reads; ``operator`` reads and writes business records;
``admin`` also writes reference data, manages sync peers and reads the audit log; ``auditor``
reads the audit log; ``sync`` reads the change feed.
"""

from __future__ import annotations

from collections.abc import Iterable

BUSINESS = ("recipient", "assessment", "charity_trust", "address", "care", "indicator_report")
REFERENCE = ("region", "standard", "indicator")
READ_ONLY = ("catalog", "quality", "analytics")

_VIEWER = frozenset({f"{r}:read" for r in (*BUSINESS, *REFERENCE, *READ_ONLY)} | {"indicator:read"})
_OPERATOR = _VIEWER | {f"{r}:write" for r in BUSINESS} | {"pii:reveal", "catalog:export"}
_ADMIN = (
    _OPERATOR
    | {f"{r}:write" for r in REFERENCE}
    | {"audit:read", "sync:manage", "sync:digest", "recipient:admin", "pii:rotate"}
)
_AUDITOR = frozenset({"audit:read", "catalog:read"})
_SYNC = frozenset({"sync:read", "sync:digest"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": _VIEWER,
    "operator": frozenset(_OPERATOR),
    "admin": frozenset(_ADMIN),
    "auditor": _AUDITOR,
    "sync": _SYNC,
}


def allowed(roles: Iterable[str], action: str) -> bool:
    return any(action in PERMISSIONS.get(role, frozenset()) for role in roles)


def all_actions() -> frozenset[str]:
    return frozenset().union(*PERMISSIONS.values())
