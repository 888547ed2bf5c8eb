"""In-process nodes for sync tests: each its own database, keys and app; peers reach each
other through ASGI transports (the multi-process tests use real HTTP instead)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from app.core.config import Settings, SyncPeer
from app.core.db import Database
from app.core.migrations import head_revision
from app.main import create_app
from app.reference import load_reference
from app.security.pii import PiiCipher
from app.security.tokens import mint
from app.sync.client import PeerClient
from app.sync.puller import Puller
from tests.conftest import make_settings


@dataclass
class Node:
    region: str
    settings: Settings
    db: Database
    app: FastAPI
    peers: dict[str, Node] = field(default_factory=dict)

    def token(self, *roles: str, region: str | None = None, sub: str = "tester") -> dict[str, str]:
        return {
            "Authorization": "Bearer "
            + mint(self.settings, sub=sub, roles=list(roles), region=region or self.region)
        }

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://node")

    def puller(self, name: str, **settings_overrides: Any) -> Puller:
        peer = next(p for p in self.settings.sync_peers if p.name == name)
        target = self.peers[name]
        settings = (
            self.settings.model_copy(update=settings_overrides) if settings_overrides else self.settings
        )
        client = PeerClient(peer, max_retries=1, transport=httpx.ASGITransport(app=target.app))
        return Puller(
            self.db,
            settings,
            PiiCipher.from_settings(settings),
            peer,
            schema_version=head_revision(),
            client=client,
        )


async def make_node(url: str, region: str, peers: list[tuple[str, Node, str]] | None = None) -> Node:
    """A node for ``region``; ``peers`` are (name, node, relation) it pulls from."""
    key = base64.b64encode(os.urandom(32)).decode()
    configured = []
    for name, other, relation in peers or []:
        scope = region if relation == "child" else other.region
        token = mint(other.settings, sub=f"node-{region}", roles=["sync"], region=scope)
        configured.append(SyncPeer(name=name, base_url="http://node", relation=relation, token=token))
    settings = make_settings(
        url,
        node_region=region,
        pii_keys={"k": key},
        pii_active_key="k",
        pii_index_key=f"index-{region}",
        sync_peers=configured,
    )
    db = Database(settings)
    await load_reference(db, settings)
    node = Node(region=settings.node_region, settings=settings, db=db, app=create_app(settings, database=db))
    for name, other, _relation in peers or []:
        node.peers[name] = other
    return node
