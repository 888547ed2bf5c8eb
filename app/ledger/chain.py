"""The hash chain: each event's hash covers its canonical encoding and the previous hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_sub",
    "actor_roles",
    "actor_region",
    "action",
    "resource_type",
    "resource_id",
    "request_id",
    "client_addr",
    "outcome",
    "details",
    "prev_hash",
)


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(event: dict[str, Any]) -> bytes:
    """A stable byte encoding of the hashed fields: sorted keys, no spaces, UTF-8.

    ``region_code`` is hashed when the event has one: events written before events carried a
    region (and events of the node itself) keep the encoding they were chained with, and a
    region cannot be added to, changed on or removed from an event without breaking the chain.
    """
    doc = {}
    for name in HASHED_FIELDS:
        value = event.get(name)
        doc[name] = _canonical_time(value) if isinstance(value, datetime) else value
    if event.get("region_code"):
        doc["region_code"] = event["region_code"]
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()
