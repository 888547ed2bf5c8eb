"""Place-name aliases (functional zones, former town names): the shipped list, loaded
idempotently at start like the region tree, and the live rows the gazetteer reads. The table
is reference data: a child node receives its parent's rows through the sync feed."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.address.models import PlaceAlias
from app.address.normalize import normalize_text
from app.ledger.unit_of_work import SHIPPED_ORIGIN, UnitOfWork

_NAMESPACE = uuid.UUID("0b7e3f7c-58f4-4c55-9d6e-3c1b1b8f2a41")
KINDS = ("zone", "former")


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    region_code: str
    kind: str


def shipped_alias_id(name: str) -> uuid.UUID:
    """The same id on every node, so shipped rows from different nodes are the same record."""
    return uuid.uuid5(_NAMESPACE, f"place_alias:{name}")


def shipped_rows() -> list[dict[str, str]]:
    text = resources.files("app.address").joinpath("data/place-aliases.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


async def live_aliases(session: AsyncSession) -> list[Alias]:
    query = select(PlaceAlias).where(col(PlaceAlias.deleted_at).is_(None)).order_by(col(PlaceAlias.name))
    rows = (await session.execute(query)).scalars().all()
    return [Alias(r.name, r.region_code, r.kind) for r in rows]


async def load_place_aliases(uow: UnitOfWork) -> int:
    """Insert shipped aliases the database has never held (by name and id: one the parent has
    deleted stays deleted); returns how many were added."""
    rows = (await uow.session.execute(select(col(PlaceAlias.name), col(PlaceAlias.id)))).all()
    have = {name for name, _id in rows}
    ids = {record_id for _name, record_id in rows}
    added = 0
    for row in shipped_rows():
        name = normalize_text(row["name"])
        if name in have or shipped_alias_id(name) in ids:
            continue
        alias = PlaceAlias(
            id=shipped_alias_id(name),
            name=name,
            region_code=row["region_code"],
            kind=row["kind"],
            note=row["note"][:200],
        )
        await uow.create(alias, origin=SHIPPED_ORIGIN, audit_event=False)
        have.add(name)
        added += 1
    if added:
        await uow.audit("reference.load", resource_type="place_alias", details={"added": added})
    return added
