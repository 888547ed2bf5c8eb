"""Applying records received from a peer: personal fields re-sealed under this node's key,
then a version-guarded upsert through the unit of work."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.core.record import ENTITIES, EntitySpec, restore
from app.ledger.unit_of_work import UnitOfWork
from app.security.identity import MASKS, canonical
from app.security.pii import PiiCipher
from app.sync.exceptions import ProtocolError

BOOKKEEPING = ("id", "version", "origin", "region_code", "updated_at")


def reseal(spec: EntitySpec, values: dict[str, Any], pii: PiiCipher) -> dict[str, Any]:
    """Encrypt clear personal fields with this node's key and recompute blind indexes.
    Identity text is stored in its canonical form whatever release the sender runs."""
    out = dict(values)
    table = spec.model.__table__  # type: ignore[attr-defined]
    for column in spec.pii_fields:
        clear = out.get(column)
        if clear is None or clear == "":
            continue
        kind = spec.pii_kind(column)
        text = canonical(kind, str(clear))
        out[column] = pii.encrypt(kind, text)
        index = spec.blind_index_of(column)
        if index:
            out[index] = pii.blind_index(kind, text)
        masked = column.removesuffix("_enc") + "_masked"
        if kind in MASKS and masked in table.columns and text != str(clear):
            out[masked] = MASKS[kind](text)
    return out


def check(entity: str, data: dict[str, Any], allowed: Iterable[str]) -> EntitySpec:
    spec = ENTITIES.get(entity)
    if spec is None or entity not in allowed:
        raise ProtocolError(f"peer sent records of entity {entity!r}, which this pull does not take")
    missing = [k for k in BOOKKEEPING if data.get(k) in (None, "")]
    if missing:
        raise ProtocolError(f"{entity} record without {', '.join(missing)}")
    return spec


def prepare(
    entity: str, data: dict[str, Any], pii: PiiCipher, allowed: Iterable[str]
) -> tuple[EntitySpec, dict[str, Any]]:
    spec = check(entity, data, allowed)
    return spec, reseal(spec, restore(spec.model, data), pii)


async def apply_records(
    uow: UnitOfWork, pii: PiiCipher, records: Iterable[tuple[str, dict[str, Any]]], allowed: Iterable[str]
) -> int:
    """Apply ``(entity, data)`` pairs; returns how many records changed on this node. Records
    this node owns itself are never overwritten by a peer.

    On SQLite records are applied one by one in order. On PostgreSQL a page is applied entity
    by entity in dependency order (parents before the records that refer to them), each with
    one set-based, version-guarded statement; the newest version of a record wins either way."""
    wanted = set(allowed)
    if not uow.is_postgres:
        applied = 0
        for entity, data in records:
            spec, values = prepare(entity, data, pii, wanted)
            if values["origin"] != uow.node_region and await uow.replicate(spec.model, values):
                applied += 1
        return applied
    by_entity: dict[str, tuple[EntitySpec, list[dict[str, Any]]]] = {}
    for entity, data in records:
        spec = check(entity, data, wanted)
        if data["origin"] != uow.node_region:
            by_entity.setdefault(entity, (spec, []))[1].append(reseal(spec, data, pii))
    applied = 0
    for spec, rows in sorted(by_entity.values(), key=lambda item: (item[0].order, item[0].name)):
        applied += await uow.replicate_snapshots(spec.model, rows)
    return applied
