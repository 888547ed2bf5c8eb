"""Reference data shipped with the service, loaded idempotently into a migrated database."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from app.address.aliases import load_place_aliases
from app.core.config import Settings
from app.core.db import Database
from app.indicator.reference import load_indicators
from app.ledger.actor import Actor
from app.ledger.unit_of_work import UnitOfWork
from app.models import import_all_models
from app.region.reference import load_regions
from app.standard.service import load_standards

log = logging.getLogger("app.reference")

Loader = Callable[[UnitOfWork], Awaitable[int]]

# Order matters: later loaders refer to regions.
LOADERS: list[tuple[str, Loader]] = [
    ("regions", load_regions),
    ("place_aliases", load_place_aliases),
    ("standards", load_standards),
    ("indicators", load_indicators),
]


async def load_reference(db: Database, settings: Settings) -> dict[str, int]:
    import_all_models()
    counts: dict[str, int] = {}
    async with db.writer() as session, session.begin():
        uow = UnitOfWork(
            session, Actor.system("reference", settings.node_region), node_region=settings.node_region
        )
        for name, loader in LOADERS:
            counts[name] = await loader(uow)
    if any(counts.values()):
        log.info("reference data loaded", extra={"added": counts})
    return counts
