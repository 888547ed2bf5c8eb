"""The region tree shipped with the service, loaded idempotently at start."""

from __future__ import annotations

import csv
import uuid
from importlib import resources

from app.ledger.unit_of_work import SHIPPED_ORIGIN, UnitOfWork
from app.region.models import Region
from app.region.repository import RegionRepository

_NAMESPACE = uuid.UUID("6f1c1f0e-7d3a-4b9e-9a51-2f3c6d7e8a90")


def shipped_region_id(code: str) -> uuid.UUID:
    """The same id on every node, so shipped rows from different nodes are the same record."""
    return uuid.uuid5(_NAMESPACE, f"region:{code}")


def shipped_rows() -> list[dict[str, str]]:
    text = resources.files("app.region").joinpath("data/regions-huzhou.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


async def load_regions(uow: UnitOfWork) -> int:
    """Insert shipped regions the database lacks; returns how many were added."""
    repo = RegionRepository(uow.session)
    have = await repo.existing_codes()
    added = 0
    for row in shipped_rows():
        if row["code"] in have:
            continue
        region = Region(
            id=shipped_region_id(row["code"]),
            code=row["code"],
            region_code=row["code"],
            name=row["name"],
            level=row["level"],
            parent_code=row["parent_code"] or None,
        )
        await uow.create(region, origin=SHIPPED_ORIGIN, audit_event=False)
        added += 1
    if added:
        await uow.audit("reference.load", resource_type="region", details={"added": added})
    return added
