"""Reconciliation digests: per entity and county, a count and an order-independent hash of
``(id, version)``, so two nodes can prove they hold the same records without comparing them
one by one."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

_MASK = (1 << 64) - 1


def row_hash(record_id: uuid.UUID | str, version: int) -> int:
    raw = uuid.UUID(str(record_id)).bytes + int(version).to_bytes(8, "big")
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


@dataclass
class Digest:
    """Sums of row hashes mod 2⁶⁴: the same set of (id, version) gives the same digest in any
    order; any missing, extra or differently versioned record changes it."""

    count: int = 0
    total: int = 0

    def add(self, record_id: uuid.UUID | str, version: int) -> None:
        self.count += 1
        self.total = (self.total + row_hash(record_id, version)) & _MASK

    @property
    def hash(self) -> str:
        return f"{self.total:016x}"


@dataclass
class DigestSet:
    by_key: dict[tuple[str, str], Digest] = field(default_factory=dict)

    def add_rows(self, entity: str, rows: Iterable[tuple[uuid.UUID, int, str]]) -> None:
        for record_id, version, region_code in rows:
            key = (entity, county_of(region_code))
            self.by_key.setdefault(key, Digest()).add(record_id, version)

    def as_list(self) -> list[dict[str, object]]:
        return [
            {"entity": entity, "region": region, "count": d.count, "hash": d.hash}
            for (entity, region), d in sorted(self.by_key.items())
        ]


def county_of(region_code: str) -> str:
    """Digests group by county (the first six digits); province and city rows keep their own."""
    return region_code[:6].ljust(12, "0")


def differences(mine: list[dict[str, object]], theirs: list[dict[str, object]]) -> list[dict[str, object]]:
    """Entries whose count or hash differ between two digest lists."""
    index = {(str(d["entity"]), str(d["region"])): d for d in theirs}
    out: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()
    for d in mine:
        key = (str(d["entity"]), str(d["region"]))
        seen.add(key)
        other = index.get(key)
        if other is None or other["count"] != d["count"] or other["hash"] != d["hash"]:
            out.append({"entity": key[0], "region": key[1], "mine": d, "theirs": other})
    for key, other in index.items():
        if key not in seen:
            out.append({"entity": key[0], "region": key[1], "mine": None, "theirs": other})
    return out
