"""Policy standards: admin writes, reads in scope, and the value in force for a region."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, Forbidden
from app.core.pagination import Page, PageParams, build_page
from app.ledger.unit_of_work import SHIPPED_ORIGIN, UnitOfWork
from app.region import service as regions
from app.security.principal import Principal
from app.security.scope import ancestors
from app.standard.models import PolicyStandard
from app.standard.repository import StandardRepository
from app.standard.schemas import StandardCreate, StandardRead

_NAMESPACE = uuid.UUID("0c7e8d65-1a0f-4a83-8d0e-5b6a7c9e1f20")

# The 2022 plan's figures (seed clauses 3, 7 and 14), in force from 2022-01-01 for Huzhou.
SHIPPED = (
    ("dibao_annual", "330500000000", date(2022, 1, 1), "12000.00", "2022 plan, clause 3"),
    ("dibao_edge_multiple", "330500000000", date(2022, 1, 1), "1.50", "dibao-edge: below 1.5 × standard"),
    ("severe_disabled_elder_subsidy", "330500000000", date(2022, 1, 1), "3500.00", "2022 plan, clause 7"),
    ("orphan_care_annual", "330500000000", date(2022, 1, 1), "25000.00", "2022 plan, clause 14"),
)


async def create(uow: UnitOfWork, principal: Principal, data: StandardCreate) -> StandardRead:
    if not principal.covers(data.region_code):
        raise Forbidden(f"region {data.region_code} lies outside your scope")
    await regions.require_region(uow.session, data.region_code)
    repo = StandardRepository(uow.session)
    if await repo.find(data.kind, data.region_code, data.effective_from):
        raise Conflict(
            f"a {data.kind} standard for {data.region_code} from {data.effective_from} exists already"
        )
    standard = PolicyStandard(**data.model_dump())
    await uow.create(standard)
    return StandardRead.model_validate(standard)


async def list_standards(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    kind: str | None,
    region_code: str | None,
) -> Page[StandardRead]:
    rows = await StandardRepository(session).search(
        ancestors(principal.region), principal.region, params, kind=kind, region_code=region_code
    )
    return build_page(rows, params, lambda s: [s.id], StandardRead.model_validate)


def effective_value_query(kind: str, region_code: str, on: date) -> Select[Any]:
    """A selection (not run) of one row: the value :func:`effective_value` reads, as stored
    text, or NULL — for other domains to run beside their own selections."""
    return StandardRepository.effective_value(kind, [*ancestors(region_code), region_code], on)


async def effective_value(session: AsyncSession, kind: str, region_code: str, on: date) -> Decimal | None:
    """The value in force on ``on`` for the most specific region containing ``region_code``."""
    found = await StandardRepository(session).effective(kind, [*ancestors(region_code), region_code], on)
    return Decimal(found.value) if found else None


async def in_force_by_region(session: AsyncSession, kind: str, on: date) -> dict[str, Decimal]:
    """``{region code: value}`` in force on ``on`` in every region that sets the kind; a record
    takes the value of the most specific of these regions that contains it."""
    return {code: Decimal(value) for code, value in await StandardRepository(session).in_force(kind, on)}


async def load_standards(uow: UnitOfWork) -> int:
    repo = StandardRepository(uow.session)
    added = 0
    for kind, region_code, effective_from, value, note in SHIPPED:
        if await repo.find(kind, region_code, effective_from):
            continue
        standard = PolicyStandard(
            id=uuid.uuid5(_NAMESPACE, f"{kind}:{region_code}:{effective_from}"),
            kind=kind,
            region_code=region_code,
            effective_from=effective_from,
            value=value,
            note=note,
        )
        await uow.create(standard, origin=SHIPPED_ORIGIN, audit_event=False)
        added += 1
    if added:
        await uow.audit("reference.load", resource_type="policy_standard", details={"added": added})
    return added
