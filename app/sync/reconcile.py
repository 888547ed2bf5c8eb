"""Checking a peer: its audit chain against the witness this node stored, and digests of the
records both hold."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.config import Settings, SyncPeer
from app.core.db import Database
from app.core.record import ENTITIES
from app.security.principal import Principal
from app.sync import feed
from app.sync.client import PeerClient
from app.sync.digest import differences
from app.sync.puller import default_entities
from app.sync.repository import SyncRepository


@dataclass
class Reconciliation:
    chain_ok: bool
    witness: str | None
    witness_found: bool
    digests_equal: bool
    differences: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain_ok and (self.witness is None or self.witness_found) and self.digests_equal


async def reconcile(
    db: Database, settings: Settings, peer: SyncPeer, client: PeerClient, schema_version: str | None
) -> Reconciliation:
    entities = [e for e in default_entities(peer) if e in ENTITIES]
    async with db.reader() as session:
        witness = (await SyncRepository(session).peer(peer.name)).witness_audit_head
    proof = await client.chain_proof(witness)
    theirs = await client.digest(entities)
    # Records of the peer's own region on both sides.
    scope = Principal(sub="reconcile", roles=("sync",), region=theirs.node.region)
    async with db.reader() as session:
        mine = await feed.digest(
            session,
            scope,
            settings=settings,
            schema_version=schema_version,
            entities=entities,
            region_code=None,
        )
    diffs = differences([e.model_dump() for e in mine.entries], [e.model_dump() for e in theirs.entries])
    return Reconciliation(
        chain_ok=proof.chain_ok,
        witness=witness,
        witness_found=proof.witness_seq is not None,
        digests_equal=not diffs,
        differences=diffs,
    )
