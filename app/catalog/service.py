"""The catalog: one entry per dataset, with counts for the caller's region and its children,
owners, last change and who replicates it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.fields import describe
from app.catalog.repository import CatalogRepository
from app.catalog.schemas import CatalogEntry, OriginCount, RegionCount, Replication
from app.core.config import Settings
from app.core.errors import Forbidden, NotFound
from app.core.record import ENTITIES, EntitySpec
from app.region import service as regions
from app.security.permissions import allowed
from app.security.principal import Principal
from app.security.scope import region_prefix
from app.sync import service as sync

_CHILD_LENGTH = {2: 4, 4: 6, 6: 9, 9: 12, 12: 12}

# Tables that are the node's own machinery rather than datasets: each says why it is not in
# the catalog. A table neither registered as an entity nor listed here fails the test suite.
SYSTEM_TABLES = {
    "alembic_version": "migration bookkeeping",
    "audit_log": "the audit log, read through /api/v1/audit",
    "change_log": "the sync change log, read through /api/v1/sync/changes",
    "idempotency_key": "replayable responses of creating POSTs (24 h)",
    "auth_failure": "failed-authentication counters",
    "sync_node_state": "this database's epoch salt and pruning mark",
    "sync_peer_state": "pull checkpoints and leases",
    "sync_session": "pull history",
    "recipient_duplicate_case": "refused out-of-scope duplicate registrations, read through "
    "/api/v1/recipients/duplicate-cases/{ref}",
}


def ordered_specs() -> list[EntitySpec]:
    return sorted(ENTITIES.values(), key=lambda s: (s.order, s.name))


def readable_spec(principal: Principal, dataset: str) -> EntitySpec:
    """A dataset whose records the principal may read (its catalog entry alone is not enough)."""
    spec = ENTITIES.get(dataset)
    if spec is None:
        raise NotFound(f"no dataset {dataset}")
    if not allowed(principal.roles, f"{spec.permission_resource}:read"):
        raise Forbidden(f"roles {', '.join(principal.roles)} may not read {dataset}")
    return spec


def _owner(spec: EntitySpec) -> str:
    if spec.kind == "reference":
        return "reference data: owned by the parent node (shipped data is owned by the top of the tree)"
    return "business records: owned by the node that wrote them (normally the county), replicated upwards"


async def entries(session: AsyncSession, principal: Principal, settings: Settings) -> list[CatalogEntry]:
    scope = principal.region
    child_length = _CHILD_LENGTH[len(region_prefix(scope))]
    children = await regions.children_of(session, scope)
    names = {c.code: c.name for c in children}
    peers = await sync.peers(session, settings)
    repo = CatalogRepository(session)
    out = []
    for spec in ordered_specs():
        table: Any = spec.model.__table__  # type: ignore[attr-defined]
        by_child: dict[str, int] = defaultdict(int)
        by_origin: dict[str, int] = defaultdict(int)
        for row in await repo.tallies(table, scope, child_length):
            by_child[str(row.child).ljust(12, "0")] += int(row.n)
            by_origin[str(row.origin)] += int(row.n)
        out.append(
            CatalogEntry(
                name=spec.name,
                title_zh=spec.title_zh,
                title_en=spec.title_en,
                description=spec.description,
                kind=spec.kind,
                owner=_owner(spec),
                origins=[OriginCount(origin=o, count=n) for o, n in sorted(by_origin.items())],
                fields=describe(spec),
                region_code=scope,
                count=sum(by_child.values()),
                children=[
                    RegionCount(region_code=c.code, name=c.name, count=by_child.get(c.code, 0))
                    for c in children
                    if c.code in names
                ],
                last_changed_at=await repo.last_change(table, scope),
                sync=[
                    Replication(
                        peer=p.name,
                        relation=p.relation,
                        last_success_at=p.last_success_at,
                        lag_s=p.lag_s,
                        last_error=p.last_error,
                    )
                    for p in peers
                    if spec.name in p.entities
                ],
            )
        )
    return out
