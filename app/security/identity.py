"""Identity text already stored: the canonical form of an ID or phone number, and the pass that
re-normalises what earlier releases stored as typed.

Requests are normalised at the door (:func:`app.core.validators.normalize_identity_text`, which
refuses digits of other scripts with a 422). Values that are already stored, or that arrive
from a peer running an earlier release, cannot be refused; :func:`canonical` maps them onto
the same form instead, other digit scripts read as the digits they are.

:func:`renormalize` rewrites stored ciphertexts whose plain value is not canonical: the value
is decrypted with the configured keys, normalised, encrypted again under the active key, and
its blind index and masked copy are recomputed — in the records and in the change log's
snapshots. A person registered twice under two spellings of one ID number then shows up as a
duplicate. Records keep their versions: every node runs the same pass on its own copies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from app.core.validators import canonical_identity_text
from app.security.pii import IDENTITY_KINDS, PiiCipher, PiiError, mask_id_number, mask_phone


def canonical(kind: str, value: str) -> str:
    """The stored form of identity text of a PII kind (other kinds are returned unchanged)."""
    return canonical_identity_text(value) if kind in IDENTITY_KINDS else value


MASKS: dict[str, Callable[[str], str]] = {"id_number": mask_id_number, "phone": mask_phone}


@dataclass(frozen=True, slots=True)
class IdentityColumn:
    """A ciphertext column of identity text, with the blind index and masked copy kept beside it."""

    enc: str
    kind: str
    hash: str | None = None
    masked: str | None = None


@dataclass(frozen=True, slots=True)
class IdentityTable:
    table: str
    entity: str
    columns: tuple[IdentityColumn, ...]


# The stored identity ciphertexts as of revision 0008 (a migration's view is frozen in time).
IDENTITY_TABLES: tuple[IdentityTable, ...] = (
    IdentityTable(
        "recipient_member",
        "recipient_member",
        (
            IdentityColumn("id_number_enc", "id_number", "id_number_hash", "id_number_masked"),
            IdentityColumn("phone_enc", "phone", None, "phone_masked"),
        ),
    ),
    IdentityTable(
        "assessment",
        "assessment",
        (IdentityColumn("id_number_enc", "id_number", "id_number_hash", "id_number_masked"),),
    ),
    IdentityTable(
        "charity_trust_party",
        "charity_trust_party",
        (IdentityColumn("contact_enc", "phone", None, "contact_masked"),),
    ),
)


def _fresh(cipher: PiiCipher, columns: Sequence[IdentityColumn], values: dict[str, Any]) -> dict[str, Any]:
    """New values for the columns whose plain text is not canonical (empty when all are)."""
    out: dict[str, Any] = {}
    for column in columns:
        token = values.get(column.enc)
        if not isinstance(token, str) or not token:
            continue
        try:
            plain = cipher.decrypt(column.kind, token)
        except PiiError as exc:
            raise RuntimeError(
                f"re-normalising {column.enc} needs the keys it was encrypted with: {exc}; "
                "set MZ_PII_KEYS (and MZ_PII_INDEX_KEY) to this node's keys and migrate again"
            ) from None
        fixed = canonical(column.kind, plain)
        if fixed == plain:
            continue
        out[column.enc] = cipher.encrypt(column.kind, fixed)
        if column.hash and column.hash in values:
            out[column.hash] = cipher.blind_index(column.kind, fixed)
        if column.masked and column.masked in values:
            out[column.masked] = MASKS[column.kind](fixed)
    return out


def _renormalize_table(conn: Connection, cipher: PiiCipher, spec: IdentityTable, batch: int) -> int:
    names = ["id"] + [name for c in spec.columns for name in (c.enc, c.hash, c.masked) if name is not None]
    table = sa.table(spec.table, *(sa.column(n) for n in names))
    changed = 0
    after: Any = None
    while True:
        query = sa.select(*(table.c[n] for n in names)).order_by(table.c.id).limit(batch)
        if after is not None:
            query = query.where(table.c.id > after)
        rows = conn.execute(query).mappings().all()
        if not rows:
            return changed
        for row in rows:
            fresh = _fresh(cipher, spec.columns, dict(row))
            if fresh:
                conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**fresh))
                changed += 1
        after = rows[-1]["id"]


_SNAPSHOT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _renormalize_change_log(conn: Connection, cipher: PiiCipher, batch: int) -> int:
    specs = {t.entity: t for t in IDENTITY_TABLES}
    log = sa.table(
        "change_log", sa.column("seq", sa.BigInteger()), sa.column("entity"), sa.column("snapshot", _SNAPSHOT)
    )
    changed = 0
    after = 0
    while True:
        rows = conn.execute(
            sa.select(log.c.seq, log.c.entity, log.c.snapshot)
            # a change logged without a snapshot holds no ciphertext (the record's row does)
            .where(log.c.seq > after, log.c.entity.in_(sorted(specs)), log.c.snapshot.is_not(None))
            .order_by(log.c.seq)
            .limit(batch)
        ).all()
        if not rows:
            return changed
        for seq, entity, snap in rows:
            fresh = _fresh(cipher, specs[entity].columns, snap or {})
            if fresh:
                conn.execute(sa.update(log).where(log.c.seq == seq).values(snapshot={**snap, **fresh}))
                changed += 1
        after = int(rows[-1][0])


def renormalize(conn: Connection, cipher: Callable[[], PiiCipher], *, batch: int = 500) -> dict[str, int]:
    """Re-normalise every stored identity ciphertext; returns how many rows changed per table.

    ``cipher`` is called only when there is something to decrypt, so an empty database needs
    no keys."""
    counts: dict[str, int] = {}
    inspector = sa.inspect(conn)
    present = [t for t in IDENTITY_TABLES if inspector.has_table(t.table)]
    for spec in present:
        if conn.execute(sa.select(sa.literal(1)).select_from(sa.table(spec.table)).limit(1)).first():
            counts[spec.table] = _renormalize_table(conn, cipher(), spec, batch)
    if present and inspector.has_table("change_log"):
        log = sa.table("change_log", sa.column("entity"))
        entities = sorted(t.entity for t in present)
        if conn.execute(sa.select(sa.literal(1)).where(log.c.entity.in_(entities)).limit(1)).first():
            counts["change_log"] = _renormalize_change_log(conn, cipher(), batch)
    return counts
