"""Imports every table module so the metadata is complete (for alembic and the catalog)."""

from __future__ import annotations

import importlib

TABLE_MODULES = (
    "app.audit.models",
    "app.core.changelog",
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
)


def import_all_models() -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)
