"""What a child may send: records of its own region, owned inside it.

A parent takes a child's business records as read-only replicas. A compromised or
misconfigured child must not overwrite a sibling's records, so every record of a page — its
``region_code`` and its ``origin``, in the change's envelope and in its data — must lie inside
the child's region, or the whole page is refused before anything is applied.

The child's region is the peer's configured ``region`` (``MZ_SYNC_PEERS``), else the region the
child named in the first page this node accepted from it, pinned in ``sync_peer_state``. Either
way it must lie strictly inside this node's region, must not overlap another child's region,
and a child that later names another region is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from app.core.validators import normalize_region_code
from app.security.scope import in_scope
from app.sync.exceptions import BoundaryViolation


@dataclass(frozen=True, slots=True)
class Offence:
    """The first record of a page that lies outside the child's region."""

    entity: str
    record_id: str
    field: str
    value: str
    child_region: str

    def message(self, peer: str) -> str:
        return (
            f"peer {peer} sent {self.entity} {self.record_id} with {self.field} {self.value or '(none)'}, "
            f"outside the child's region {self.child_region}; the whole page was refused"
        )

    def details(self) -> dict[str, str]:
        return {
            "entity": self.entity,
            "record_id": self.record_id,
            "field": self.field,
            "value": self.value,
            "child_region": self.child_region,
        }


def _code(value: Any) -> str | None:
    try:
        return normalize_region_code(str(value))
    except ValueError:
        return None


def child_region(
    peer: str,
    node_region: str,
    configured: str | None,
    pinned: str | None,
    reported: str,
    taken: Collection[str] = (),
) -> str:
    """The region a child's records must lie in; raises :class:`BoundaryViolation` when the
    child names a region that is not its own, or not below this node."""
    expected = configured or pinned
    named = _code(reported)
    if expected is not None and named != expected:
        raise BoundaryViolation(
            f"peer {peer} names itself region {reported}, but its region is {expected}; page refused"
        )
    region = expected or named
    if region is None or region == node_region or not in_scope(node_region, region):
        raise BoundaryViolation(
            f"peer {peer} names itself region {reported}, which is not a region below this node's "
            f"{node_region}; page refused",
            details={"reported_region": str(reported)[:20]},
        )
    if expected is None:
        # Pinning on first contact: a region another child already holds is not this one's.
        clash = next((t for t in taken if in_scope(t, region) or in_scope(region, t)), None)
        if clash is not None:
            raise BoundaryViolation(
                f"peer {peer} names itself region {reported}, which overlaps the region {clash} "
                "of another child peer; page refused (configure each child's region in MZ_SYNC_PEERS)",
                details={"reported_region": str(reported)[:20], "other_child": clash},
            )
    return region


def check_page(
    peer: str,
    region: str,
    records: Iterable[tuple[str, dict[str, Any], dict[str, Any]]],
) -> None:
    """Raise :class:`BoundaryViolation` naming the first record outside ``region``."""
    offence = first_offence(region, records)
    if offence is not None:
        raise BoundaryViolation(offence.message(peer), region=region, details=offence.details())


def first_offence(
    region: str, records: Iterable[tuple[str, dict[str, Any], dict[str, Any]]]
) -> Offence | None:
    """The first record outside ``region``: records are (entity, envelope, data), where the
    envelope holds the change's own ``id``, ``region_code`` and ``origin`` (empty for a
    snapshot record, whose data is all there is)."""
    # A page names a handful of distinct codes thousands of times: each is judged once.
    verdicts: dict[str, bool] = {}
    for entity, envelope, data in records:
        for source in (envelope, data):
            for field in ("region_code", "origin"):
                if source is envelope and field not in envelope:
                    continue
                value = source.get(field)
                inside = verdicts.get(value) if isinstance(value, str) else None
                if inside is None:
                    code = _code(value) if value not in (None, "") else None
                    inside = code is not None and in_scope(region, code)
                    if isinstance(value, str):
                        verdicts[value] = inside
                if not inside:
                    record_id = str(data.get("id") or envelope.get("id") or "(no id)")
                    return Offence(entity, record_id, field, str(value or ""), region)
    return None
