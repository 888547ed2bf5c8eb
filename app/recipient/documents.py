"""Households read as documents: the columns of a household and its members shaped into
:class:`HouseholdRead`'s fields, one household or a page, its transitions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.db import Database
from app.core.money import from_fen
from app.core.pagination import PageDocument, PageParams, page_document
from app.recipient import eligibility, members
from app.recipient.exceptions import HouseholdNotFound
from app.recipient.filters import HouseholdFilter
from app.recipient.models import Household, Member
from app.recipient.repository import HouseholdView, MemberView, RecipientRepository
from app.recipient.schemas import HouseholdDocument, HouseholdRead, TransitionRead
from app.security.pii import PiiCipher
from app.security.principal import Principal

_DOCUMENT_COLUMNS = (
    "id",
    "version",
    "region_code",
    "category",
    "status",
    "monthly_income_fen",
    "member_count",
    "address_id",
    "address_text",
    "support_mode",
    "applied_on",
    "approved_on",
    "last_reviewed_on",
    "exited_on",
    "origin",
    "created_at",
    "updated_at",
)


def document(
    pii: PiiCipher,
    household: HouseholdView,
    people: Sequence[MemberView],
    *,
    reveal: bool = False,
    today: date | None = None,
) -> HouseholdDocument:
    """A household for a response, as plain values (:class:`HouseholdRead`'s fields), from its
    columns by name."""
    income = from_fen(household["monthly_income_fen"])
    on = today or clock.today()
    return {
        "id": household["id"],
        "version": household["version"],
        "region_code": household["region_code"],
        "category": household["category"],
        "status": household["status"],
        "monthly_income": income,
        "member_count": household["member_count"],
        "per_capita_income": eligibility.per_capita(income, household["member_count"]),
        "address_id": household["address_id"],
        "address_text": household["address_text"],
        "support_mode": household["support_mode"],
        "applied_on": household["applied_on"],
        "approved_on": household["approved_on"],
        "last_reviewed_on": household["last_reviewed_on"],
        "exited_on": household["exited_on"],
        "origin": household["origin"],
        "created_at": household["created_at"],
        "updated_at": household["updated_at"],
        "members": [members.document(pii, m, reveal=reveal, today=on) for m in people],
    }


def shape(
    pii: PiiCipher, household: Household, people: Sequence[Member], *, reveal: bool = False
) -> HouseholdRead:
    columns = {name: getattr(household, name) for name in _DOCUMENT_COLUMNS}
    doc = document(pii, columns, [members.view(m) for m in people], reveal=reveal)
    values: dict[str, Any] = dict(doc)
    values["members"] = [members.model(m) for m in doc["members"]]
    # Built from stored, already-validated values: construct without re-validating.
    return HouseholdRead.model_construct(**values)


async def get(
    db: Database,
    principal: Principal,
    pii: PiiCipher,
    household_id: uuid.UUID,
    *,
    reveal: bool = False,
) -> HouseholdDocument:
    found = await RecipientRepository.household_view(db, household_id, principal.region)
    if found is None:
        raise HouseholdNotFound(household_id)
    household, people = found
    return document(pii, household, people, reveal=reveal)


async def list_households(
    session: AsyncSession,
    principal: Principal,
    pii: PiiCipher,
    params: PageParams,
    filters: HouseholdFilter,
) -> PageDocument[HouseholdDocument]:
    repo = RecipientRepository(session)
    id_hash = members.id_hash(pii, filters.id_number) if filters.id_number else None
    rows, total = await repo.search(principal.region, params, filters, id_hash=id_hash)
    if rows and "members" in rows[0]._fields:
        by_household = {h.id: h.members for h in rows}
    else:
        by_household = await repo.member_view_groups([h.id for h in rows[: params.limit]])
    today = clock.today()
    return page_document(
        rows,
        params,
        lambda h: [h.id],
        lambda h: document(pii, h._mapping, by_household.get(h.id, []), today=today),
        total,
    )


async def history(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID
) -> list[TransitionRead]:
    repo = RecipientRepository(session)
    if await repo.get(household_id, principal.region) is None:
        raise HouseholdNotFound(household_id)
    return [TransitionRead.model_validate(t) for t in await repo.transitions(household_id)]


async def household_of_member(
    session: AsyncSession, principal: Principal, pii: PiiCipher, id_number: str
) -> HouseholdRead | None:
    """The active household in scope a person belongs to, if any (for the elderly profile)."""
    repo = RecipientRepository(session)
    for _member, household in await repo.holders_of(members.id_hash(pii, id_number), principal.region):
        return shape(pii, household, await repo.members([household.id]))
    return None
