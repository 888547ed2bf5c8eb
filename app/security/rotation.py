"""Re-encrypting personal data under the active key (``python -m app rotate-pii-key``).

Ciphertexts under older key ids — in the records and in the change log's snapshots — are
decrypted and encrypted again with ``MZ_PII_ACTIVE_KEY``. The plain values do not change, so
records keep their versions and nothing is sent to other nodes; one audit event records the
counts. Keep the old key in ``MZ_PII_KEYS`` until this has run, then remove it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from app.core.db import Database
from app.core.record import ENTITIES, EntitySpec
from app.ledger import audit
from app.ledger.actor import Actor
from app.ledger.changelog import ChangeLog
from app.security.pii import PiiCipher


def _stale(cipher: PiiCipher, values: dict[str, Any], spec: EntitySpec) -> dict[str, str]:
    out: dict[str, str] = {}
    for column in spec.pii_fields:
        token = values.get(column)
        if isinstance(token, str) and token and cipher.needs_rotation(token):
            out[column] = cipher.reencrypt(spec.pii_kind(column), token)
    return out


async def _rotate_records(db: Database, cipher: PiiCipher, spec: EntitySpec, batch: int) -> int:
    model: Any = spec.model
    table = model.__table__
    changed = 0
    after = None
    while True:
        async with db.writer() as session, session.begin():
            query = select(table).order_by(table.c.id).limit(batch)
            if after is not None:
                query = query.where(table.c.id > after)
            rows = (await session.execute(query)).mappings().all()
            if not rows:
                return changed
            for row in rows:
                fresh = _stale(cipher, dict(row), spec)
                if fresh:
                    await session.execute(update(table).where(table.c.id == row["id"]).values(**fresh))
                    changed += 1
            after = rows[-1]["id"]


async def _rotate_change_log(db: Database, cipher: PiiCipher, batch: int) -> int:
    specs = {name: spec for name, spec in ENTITIES.items() if spec.pii_fields}
    if not specs:
        return 0
    changed = 0
    after = 0
    while True:
        async with db.writer() as session, session.begin():
            query = (
                select(col(ChangeLog.seq), col(ChangeLog.entity), col(ChangeLog.snapshot))
                # A change logged without a snapshot holds no ciphertext: the feed serves the
                # record's row, which _rotate_records rotates.
                .where(
                    col(ChangeLog.seq) > after,
                    col(ChangeLog.entity).in_(list(specs)),
                    col(ChangeLog.snapshot).is_not(None),
                )
                .order_by(col(ChangeLog.seq))
                .limit(batch)
            )
            rows = (await session.execute(query)).all()
            if not rows:
                return changed
            for seq, entity, snap in rows:
                fresh = _stale(cipher, snap, specs[entity])
                if fresh:
                    await session.execute(
                        update(ChangeLog).where(col(ChangeLog.seq) == seq).values(snapshot={**snap, **fresh})
                    )
                    changed += 1
            after = rows[-1][0]


async def rotate(db: Database, cipher: PiiCipher, *, batch: int = 500) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, spec in sorted(ENTITIES.items()):
        if spec.pii_fields:
            counts[name] = await _rotate_records(db, cipher, spec, batch)
    counts["change_log"] = await _rotate_change_log(db, cipher, batch)
    async with db.writer() as session, session.begin():
        await audit.append(
            session,
            Actor.system("pii-rotation"),
            "pii.rotate",
            details={"active_key": cipher.active, "rewritten": counts},
        )
    return counts
