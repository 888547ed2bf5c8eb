"""Household members: building them from input (encrypting personal data) and shaping them
for responses (masked unless revealed)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from app.core.calendar import age_on
from app.core.clock import clock
from app.core.validators import id_number_birth_date, id_number_sex
from app.recipient import tekun
from app.recipient.models import Household, Member
from app.recipient.repository import MEMBER_VIEW_COLUMNS, MemberView
from app.recipient.schemas import MemberDocument, MemberIn, MemberRead, SelfCareDocument, SelfCareRead
from app.security.pii import PiiCipher, mask_id_number, mask_phone


def id_hash(pii: PiiCipher, id_number: str) -> str:
    return pii.blind_index("id_number", id_number)


def build(pii: PiiCipher, household: Household, data: MemberIn) -> Member:
    member = Member(
        household_id=household.id,
        region_code=household.region_code,
        name=data.name,
        relation=data.relation,
        id_number_enc="",
        id_number_hash="",
        id_number_masked="",
        birth_date=id_number_birth_date(data.id_number),
        sex=id_number_sex(data.id_number),
    )
    apply(pii, member, data)
    return member


def apply(pii: PiiCipher, member: Member, data: MemberIn) -> list[str]:
    """Copy input onto a member; returns the names of the fields that changed."""
    changed: list[str] = []
    plain = {
        "name": data.name,
        "relation": data.relation,
        "disability_grade": data.disability_grade,
        "subsidies": ",".join(data.subsidies),
        "living_alone": data.living_alone,
        "parents_absent": data.parents_absent,
        "self_care_assessed_on": data.self_care.assessed_on if data.self_care else None,
        "self_care_unable": ",".join(data.self_care.unable) if data.self_care else "",
    }
    for key, value in plain.items():
        if getattr(member, key) != value:
            setattr(member, key, value)
            changed.append(key)
    digest = id_hash(pii, data.id_number)
    if member.id_number_hash != digest:
        member.id_number_hash = digest
        member.id_number_enc = pii.encrypt("id_number", data.id_number)
        member.id_number_masked = mask_id_number(data.id_number)
        member.birth_date = id_number_birth_date(data.id_number)
        member.sex = id_number_sex(data.id_number)
        changed.append("id_number")
    current_phone = pii.decrypt("phone", member.phone_enc) if member.phone_enc else None
    if current_phone != data.phone:
        member.phone_enc = pii.encrypt("phone", data.phone) if data.phone else None
        member.phone_masked = mask_phone(data.phone) if data.phone else None
        changed.append("phone")
    return changed


def view(member: Member) -> MemberView:
    """A member record as the read path sees members (:data:`MEMBER_VIEW_COLUMNS`)."""
    return {name: getattr(member, name) for name in MEMBER_VIEW_COLUMNS}


def document(pii: PiiCipher, member: MemberView, *, reveal: bool, today: date) -> MemberDocument:
    """A member for a response: ID and phone numbers masked (the stored masks, never
    decrypted to be masked), in clear only when ``reveal``; the age on ``today``. Takes the
    values as stored or as PostgreSQL's JSON gives them (ids and dates as text)."""
    member_id = member["id"]
    born = member["birth_date"]
    phone = member["phone_masked"]
    if reveal:
        id_number = pii.decrypt("id_number", member["id_number_enc"])
        if member["phone_enc"]:
            phone = pii.decrypt("phone", member["phone_enc"])
    else:
        id_number = member["id_number_masked"]
    return {
        "id": uuid.UUID(member_id) if isinstance(member_id, str) else member_id,
        "name": member["name"],
        "relation": member["relation"],
        "id_number": id_number,
        "phone": phone,
        "sex": member["sex"],
        "age": age_on(date.fromisoformat(born) if isinstance(born, str) else born, today),
        "disability_grade": member["disability_grade"],
        "subsidies": [s for s in member["subsidies"].split(",") if s],
        "living_alone": bool(member["living_alone"]),
        "parents_absent": bool(member["parents_absent"]),
        "self_care": _self_care(member["self_care_assessed_on"], member["self_care_unable"]),
    }


def _self_care(assessed_on: date | str | None, unable: str) -> SelfCareDocument | None:
    if assessed_on is None:
        return None
    items = tekun.parse_unable(unable)
    return {
        "assessed_on": date.fromisoformat(assessed_on) if isinstance(assessed_on, str) else assessed_on,
        "unable": list(items),
        "tier": tekun.tier_of_self_care(items),
    }


def model(values: MemberDocument) -> MemberRead:
    """A member document as its response model. Built from stored, already-validated values:
    constructed without re-validating."""
    self_care = values["self_care"]
    fields: dict[str, Any] = dict(values)
    fields["self_care"] = SelfCareRead.model_construct(**self_care) if self_care else None
    return MemberRead.model_construct(**fields)


def read(pii: PiiCipher, member: Member, *, reveal: bool, today: date | None = None) -> MemberRead:
    return model(document(pii, view(member), reveal=reveal, today=today or clock.today()))
