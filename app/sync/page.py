"""The wire encoding of a feed page, written straight to JSON text.

The change log already holds each record's snapshot as JSON; the feed hands that text on as
it is read from the database instead of decoding it into Python objects, validating them
into :class:`~app.sync.schemas.Change` models and encoding them again. Only the snapshots
that carry personal data are decoded: ciphertexts are opened for the authenticated channel
(the receiver re-seals them under its own key) and the personal fields are counted for the
transfer's audit event. The bytes parse as the :class:`~app.sync.schemas.FeedPage` the
model-based encoding produced: same changes, same values. Snapshots are decoded and encoded
again by pydantic-core, in compact form with non-ASCII text as it is, like the database's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from pydantic_core import from_json, to_json

from app.core.record import ENTITIES
from app.security.pii import PiiCipher
from app.sync.schemas import NodeInfo


class LogRow(Protocol):
    """A change-log row with its snapshot as JSON text (``snapshot_text``)."""

    seq: int
    entity: str
    record_id: Any
    op: str
    version: int
    region_code: str
    origin: str
    changed_at: datetime
    snapshot_text: str


@lru_cache(maxsize=4096)
def _string(value: str) -> str:
    """A JSON string; entity names, ops and region codes repeat on every row of a page."""
    return json.dumps(value, ensure_ascii=False)


def _data(entity: str, text: str, pii: PiiCipher) -> tuple[str, dict[str, Any] | None]:
    """The snapshot as sent (personal fields in clear) and, when it holds personal data, the
    decoded record to count them."""
    spec = ENTITIES.get(entity)
    if spec is None or not (spec.pii_fields or spec.personal_fields):
        return text, None
    data: dict[str, Any] = from_json(text)
    if not spec.pii_fields:
        return text, data
    changed = False
    for column in spec.pii_fields:
        token = data.get(column)
        if isinstance(token, str) and token:
            data[column] = pii.decrypt(spec.pii_kind(column), token)
            changed = True
    if not changed:
        return text, data
    return to_json(data).decode(), data


def encode_change(row: LogRow, pii: PiiCipher) -> tuple[str, dict[str, Any] | None]:
    """One change as JSON text, and its decoded data when it carries personal fields."""
    data, decoded = _data(row.entity, row.snapshot_text, pii)
    text = (
        f'{{"seq":{int(row.seq)},"entity":{_string(row.entity)},"id":"{row.record_id}",'
        f'"op":{_string(row.op)},"version":{int(row.version)},"region_code":{_string(row.region_code)},'
        f'"origin":{_string(row.origin)},"changed_at":"{row.changed_at.isoformat()}","data":{data}}}'
    )
    return text, decoded


def encode_page(
    changes: Sequence[str], *, next_cursor: str, has_more: bool, node: NodeInfo, audit_head: str
) -> bytes:
    """A :class:`~app.sync.schemas.FeedPage` from changes already encoded."""
    return "".join(
        (
            '{"changes":[',
            ",".join(changes),
            '],"next_cursor":',
            json.dumps(next_cursor),
            ',"has_more":',
            "true" if has_more else "false",
            ',"node":',
            node.model_dump_json(),
            ',"audit_head":',
            json.dumps(audit_head),
            "}",
        )
    ).encode()
