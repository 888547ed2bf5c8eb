"""Every table module, loaded so the metadata is complete (for alembic and the catalog), and
every syncable entity registered — explicitly, by whoever starts the service or a command."""

from __future__ import annotations

import importlib

from app.core.record import EntitySpec, register_entity

TABLE_MODULES = (
    "app.ledger.models",
    "app.ledger.changelog",
    "app.core.idempotency",
    "app.security.models",
    "app.region.models",
    "app.standard.models",
    "app.recipient.models",
    "app.recipient.subsidy_models",
    "app.recipient.death_models",
    "app.assessment.models",
    "app.charity_trust.models",
    "app.sync.models",
    "app.indicator.models",
    "app.address.models",
    "app.care.models",
)


def import_all_models() -> None:
    """Load every table module and register the entities they declare (``ENTITY_SPECS``).
    Idempotent: ``create_app``, the command line and the migrations all call it."""
    for name in TABLE_MODULES:
        module = importlib.import_module(name)
        specs: tuple[EntitySpec, ...] = getattr(module, "ENTITY_SPECS", ())
        for spec in specs:
            register_entity(spec)
