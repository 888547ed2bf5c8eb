"""Duplicate cases: a registration refused because the person already belongs to an active
household outside the caller's scope.

The refusal (409) must not tell the caller where, in which household, or who: that would let
an operator of one county learn that a person of another county receives assistance. The
caller gets an opaque case reference instead; the case — which household holds the person,
who asked, for which region — is kept on this node, and an admin whose scope covers both
regions (the common parent) looks it up with ``GET /api/v1/recipients/duplicate-cases/{ref}``.
"""

from __future__ import annotations

import base64
import logging
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.core.errors import NotFound
from app.ledger import audit
from app.ledger.actor import Actor
from app.recipient.models import DuplicateCase, Household, Member
from app.recipient.schemas import DuplicateCaseRead
from app.security.principal import Principal
from app.security.scope import common_region

log = logging.getLogger("app.recipient")


def new_ref() -> str:
    """``DUP-XXXX-XXXX-XXXX-XXXX``: 80 random bits, base32 (no 0/1/8/9 to misread)."""
    text = base64.b32encode(secrets.token_bytes(10)).decode()
    return "DUP-" + "-".join(text[i : i + 4] for i in range(0, 16, 4))


def open_case(
    principal: Principal, requested_region: str, member_index: int, holder: Household, id_hash: str
) -> DuplicateCase:
    """A case for a refused registration (not stored yet: the refusal rolls the request back)."""
    return DuplicateCase(
        ref=new_ref(),
        scope_region=common_region(requested_region, holder.region_code),
        requested_region=requested_region,
        requested_by=principal.sub[:200],
        member_index=member_index,
        household_id=holder.id,
        existing_region=holder.region_code,
        id_number_hash=id_hash,
    )


async def save(session: AsyncSession, case: DuplicateCase, actor: Actor) -> None:
    """Store the case and its audit event in the caller's transaction. The event concerns the
    common parent region: the county auditors on either side do not learn the other's case."""
    session.add(case)
    await session.flush()
    await audit.append(
        session,
        actor,
        "recipient.duplicate_case",
        resource_type="recipient_duplicate_case",
        resource_id=case.ref,
        outcome="denied",
        details={"member_index": case.member_index, "household_id": str(case.household_id)},
        region_code=case.scope_region,
    )


async def save_detached(factory: async_sessionmaker[AsyncSession], case: DuplicateCase, actor: Actor) -> bool:
    """:func:`save` in a transaction of its own, after the refused request rolled back."""
    try:
        async with factory() as session, session.begin():
            await save(session, case, actor)
    except Exception as exc:
        log.error("duplicate case %s could not be stored: %s", case.ref, type(exc).__name__)
        return False
    return True


async def audit_read(
    factory: async_sessionmaker[AsyncSession], actor: Actor, case: DuplicateCaseRead
) -> None:
    """The audit event of a case read (raises when it cannot be written: no unaudited read)."""
    async with factory() as session, session.begin():
        await audit.append(
            session,
            actor,
            "recipient.duplicate_case.read",
            resource_type="recipient_duplicate_case",
            resource_id=case.ref,
            details={"household_id": str(case.household_id)},
            region_code=case.scope_region,
        )


async def lookup(session: AsyncSession, principal: Principal, ref: str) -> DuplicateCaseRead:
    """The case, for a principal whose scope covers the common parent region; 404 otherwise
    (as for a case that does not exist)."""
    case = await session.get(DuplicateCase, ref)
    if case is None or not principal.covers(case.scope_region):
        raise NotFound(f"no duplicate case {ref}")
    row = (
        await session.execute(
            select(col(Household.status), col(Member.id_number_masked))
            .join(Member, col(Member.household_id) == col(Household.id))
            .where(col(Household.id) == case.household_id, col(Member.id_number_hash) == case.id_number_hash)
            .limit(1)
        )
    ).first()
    return DuplicateCaseRead(
        ref=case.ref,
        created_at=case.created_at,
        scope_region=case.scope_region,
        requested_region=case.requested_region,
        requested_by=case.requested_by,
        member_index=case.member_index,
        household_id=case.household_id,
        existing_region=case.existing_region,
        household_status=row[0] if row else None,
        id_number=row[1] if row else None,
    )
