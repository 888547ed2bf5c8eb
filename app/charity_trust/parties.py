"""Trustors and trustees: built from input (the trustor's phone encrypted), matched on update so
the same party keeps its record, and shaped for responses (phone masked unless revealed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.charity_trust.models import CharityTrust, TrustParty
from app.charity_trust.schemas import TrusteeIn, TrusteeRead, TrustorIn, TrustorRead
from app.ledger.unit_of_work import UnitOfWork
from app.security.pii import PiiCipher, mask_phone

ANONYMOUS_TRUSTOR = "匿名委托人"

PartyIn = TrustorIn | TrusteeIn


def _key(role: str, kind: str, name: str, uscc: str | None) -> tuple[str, str]:
    """Who a party is: its credit code when it has one, else (a person) its name."""
    return (role, uscc) if uscc else (role, f"person:{name}")


def key_of(party: TrustParty) -> tuple[str, str]:
    return _key(party.role, party.kind, party.name, party.uscc)


def key_of_input(role: str, data: PartyIn) -> tuple[str, str]:
    return _key(role, data.kind, data.name, data.uscc)


def build(pii: PiiCipher, trust: CharityTrust, role: str, position: int, data: PartyIn) -> TrustParty:
    party = TrustParty(trust_id=trust.id, region_code=trust.region_code, role=role, name="", kind="")
    apply(pii, party, position, data)
    return party


def apply(pii: PiiCipher, party: TrustParty, position: int, data: PartyIn) -> list[str]:
    """Copy input onto a party; returns the names of the fields that changed."""
    values: dict[str, Any] = {"position": position, "name": data.name, "kind": data.kind, "uscc": data.uscc}
    if isinstance(data, TrusteeIn):
        values["lead"] = data.lead
    else:
        values["publish_consent"] = data.publish_consent
    changed = [key for key, value in values.items() if getattr(party, key) != value]
    for key in changed:
        setattr(party, key, values[key])
    if isinstance(data, TrustorIn):
        current = pii.decrypt("phone", party.contact_enc) if party.contact_enc else None
        if current != data.contact:
            party.contact_enc = pii.encrypt("phone", data.contact) if data.contact else None
            party.contact_masked = mask_phone(data.contact) if data.contact else None
            changed.append("contact")
    return changed


async def replace(
    uow: UnitOfWork,
    pii: PiiCipher,
    trust: CharityTrust,
    role: str,
    current: Sequence[TrustParty],
    wanted: Sequence[PartyIn],
) -> list[TrustParty]:
    """Keep and update the parties still listed, add new ones, tombstone the rest."""
    by_key = {key_of(p): p for p in current if p.role == role}
    kept: list[TrustParty] = []
    for position, data in enumerate(wanted):
        existing = by_key.pop(key_of_input(role, data), None)
        if existing is None:
            party = build(pii, trust, role, position, data)
            await uow.create(party, audit_event=False)
        else:
            party = existing
            fields = apply(pii, party, position, data)
            if fields:
                await uow.update(party, expected_version=None, changed=fields, audit_event=False)
        kept.append(party)
    for gone in by_key.values():
        await uow.delete(gone, expected_version=None, details={"trust_id": str(trust.id)})
    return kept


def trustor_read(pii: PiiCipher, party: TrustParty, *, reveal: bool) -> TrustorRead:
    read = TrustorRead.model_validate(party, from_attributes=True)
    if reveal and party.contact_enc:
        # Revealed: the decrypted phone takes the place of the stored masked one.
        read.contact = pii.decrypt("phone", party.contact_enc)
    return read


def trustee_read(party: TrustParty) -> TrusteeRead:
    return TrusteeRead.model_validate(party, from_attributes=True)


def public_name(party: TrustParty) -> str:
    """Organisations are always named; a person only with consent."""
    if party.kind == "organisation" or party.publish_consent:
        return party.name
    return ANONYMOUS_TRUSTOR


def of_role(parties: Sequence[TrustParty], role: str) -> list[TrustParty]:
    return sorted((p for p in parties if p.role == role), key=lambda p: p.position)


def trustees_snapshot(parties: Sequence[TrustParty]) -> list[dict[str, Any]]:
    """The trustees as plain JSON, for a change filing's before/after."""
    return [trustee_read(p).model_dump() for p in of_role(parties, "trustee")]
