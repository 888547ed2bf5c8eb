"""Applying records received from a peer: personal fields re-sealed under this node's key,
then a version-guarded upsert through the unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.record import ENTITIES, EntitySpec, restore
from app.ledger import staging
from app.ledger.unit_of_work import UnitOfWork
from app.security.identity import MASKS, canonical
from app.security.pii import PiiCipher
from app.sync.exceptions import ProtocolError

BOOKKEEPING = ("id", "version", "origin", "region_code", "updated_at")


@dataclass(frozen=True, slots=True)
class _Seal:
    """How one ciphertext column of an entity is re-sealed: its PII kind, the blind-index
    column kept beside it, and the masked copy (recomputed when the canonical form differs)."""

    column: str
    kind: str
    index: str | None
    mask: Callable[[str], str] | None
    masked: str


_SEALS: dict[str, tuple[_Seal, ...]] = {}


def _seals(spec: EntitySpec) -> tuple[_Seal, ...]:
    found = _SEALS.get(spec.name)
    if found is None:
        table = spec.model.__table__  # type: ignore[attr-defined]
        found = tuple(
            _Seal(
                column,
                kind,
                spec.blind_index_of(column),
                MASKS.get(kind) if (column.removesuffix("_enc") + "_masked") in table.columns else None,
                column.removesuffix("_enc") + "_masked",
            )
            for column in spec.pii_fields
            for kind in (spec.pii_kind(column),)
        )
        _SEALS[spec.name] = found
    return found


def reseal(spec: EntitySpec, values: dict[str, Any], pii: PiiCipher) -> dict[str, Any]:
    """Encrypt clear personal fields with this node's key and recompute blind indexes.
    Identity text is stored in its canonical form whatever release the sender runs."""
    return reseal_all(spec, [values], pii)[0]


def reseal_all(spec: EntitySpec, records: Sequence[dict[str, Any]], pii: PiiCipher) -> list[dict[str, Any]]:
    """:func:`reseal` for many records of one entity, the column plan worked out once."""
    seals = _seals(spec)
    if not seals:
        return list(records)
    out = []
    for values in records:
        sealed = dict(values)
        for seal in seals:
            clear = sealed.get(seal.column)
            if clear is None or clear == "":
                continue
            text = canonical(seal.kind, str(clear))
            sealed[seal.column] = pii.encrypt(seal.kind, text)
            if seal.index:
                sealed[seal.index] = pii.blind_index(seal.kind, text)
            if seal.mask is not None and text != str(clear):
                sealed[seal.masked] = seal.mask(text)
        out.append(sealed)
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


@dataclass(frozen=True, slots=True)
class PreparedPage:
    """A page's records checked and re-sealed under this node's key, grouped by entity in
    dependency order and encoded for COPY (:func:`app.ledger.staging.batches`), ready for the
    set-based apply (PostgreSQL). Preparing is pure work, so the puller does it for the next
    page while the current one is written. A record that breaks the protocol is kept as
    ``error`` and raised when the page is applied, after the page's boundary check, as when
    the page is applied unprepared."""

    groups: tuple[tuple[EntitySpec, tuple[staging.Batch, ...]], ...] = ()
    error: ProtocolError | None = None


def prepare_page(
    records: Iterable[tuple[str, dict[str, Any]]], pii: PiiCipher, allowed: Iterable[str], node_region: str
) -> PreparedPage:
    """Check every record, leave out those this node owns itself, re-seal the rest entity by
    entity (:func:`reseal_all`) and encode them for COPY."""
    wanted = set(allowed)
    by_entity: dict[str, tuple[EntitySpec, list[dict[str, Any]]]] = {}
    try:
        for entity, data in records:
            spec = check(entity, data, wanted)
            if data["origin"] != node_region:
                by_entity.setdefault(entity, (spec, []))[1].append(data)
    except ProtocolError as exc:
        return PreparedPage(error=exc)
    ordered = sorted(by_entity.values(), key=lambda item: (item[0].order, item[0].name))
    return PreparedPage(
        groups=tuple(
            (spec, staging.batches(spec.model.__table__, reseal_all(spec, rows, pii)))  # type: ignore[attr-defined]
            for spec, rows in ordered
        )
    )


async def apply_prepared(uow: UnitOfWork, page: PreparedPage) -> int:
    """Apply a prepared page on PostgreSQL: one version-guarded statement per entity, parents
    before the records that refer to them; returns how many records changed."""
    if page.error is not None:
        raise page.error
    applied = 0
    for spec, batches in page.groups:
        applied += await uow.replicate_batches(spec.model, batches)
    return applied


async def apply_records(
    uow: UnitOfWork, pii: PiiCipher, records: Iterable[tuple[str, dict[str, Any]]], allowed: Iterable[str]
) -> int:
    """Apply ``(entity, data)`` pairs; returns how many records changed on this node. Records
    this node owns itself are never overwritten by a peer.

    On SQLite records are applied one by one in order. On PostgreSQL a page is applied entity
    by entity in dependency order (parents before the records that refer to them), each with
    one set-based, version-guarded statement; the newest version of a record wins either way."""
    if uow.is_postgres:
        return await apply_prepared(uow, prepare_page(records, pii, allowed, uow.node_region))
    wanted = set(allowed)
    applied = 0
    for entity, data in records:
        spec, values = prepare(entity, data, pii, wanted)
        if values["origin"] != uow.node_region and await uow.replicate(spec.model, values):
            applied += 1
    return applied
