"""Resources (资源项目库): services providers offer, the area they serve, who qualifies, how
many at once."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.care.eligibility import Eligibility, free_places
from app.care.exceptions import ResourceNotFound
from app.care.filters import ResourceFilter
from app.care.models import Resource
from app.care.resource_repository import ResourceRepository, delimited, undelimited
from app.care.schemas import EligibilityIn, EligibilityRead, ResourceCreate, ResourceRead, ResourceUpdate
from app.care.taxonomy import PROVIDER_KINDS
from app.charity_trust import port as trusts
from app.core.clock import clock
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.ledger.unit_of_work import UnitOfWork
from app.region import service as regions
from app.security.principal import Principal


def eligibility_of(resource: Resource | Row[Any]) -> Eligibility:
    levels = undelimited(resource.elig_assessment_levels)
    return Eligibility(
        categories=tuple(undelimited(resource.elig_categories)) or None,
        min_age=resource.elig_min_age,
        max_age=resource.elig_max_age,
        assessment_levels=tuple(int(v) for v in levels) or None,
        disability=resource.elig_disability,
    )


def shape(resource: Resource | Row[Any], in_use: int) -> ResourceRead:
    rule = eligibility_of(resource)
    return ResourceRead(
        id=resource.id,
        version=resource.version,
        region_code=resource.region_code,
        name=resource.name,
        provider=resource.provider,
        provider_kind=resource.provider_kind,
        provider_kind_label=PROVIDER_KINDS.get(resource.provider_kind, resource.provider_kind),
        description=resource.description,
        need_types=undelimited(resource.need_types),
        eligibility=EligibilityRead(
            categories=list(rule.categories) if rule.categories else None,
            min_age=rule.min_age,
            max_age=rule.max_age,
            assessment_levels=list(rule.assessment_levels) if rule.assessment_levels else None,
            disability=rule.disability,
        ),
        capacity=resource.capacity,
        in_use=in_use,
        free_capacity=free_places(resource.capacity, in_use),
        contact=resource.contact,
        charity_trust_id=resource.charity_trust_id,
        active=bool(resource.active),
        origin=resource.origin,
        created_at=resource.created_at,
        updated_at=resource.updated_at,
    )


def _apply_eligibility(resource: Resource, rule: EligibilityIn) -> None:
    resource.elig_categories = delimited(rule.categories or [])
    resource.elig_min_age = rule.min_age
    resource.elig_max_age = rule.max_age
    resource.elig_assessment_levels = delimited([int(v) for v in rule.assessment_levels or []])
    resource.elig_disability = rule.disability


async def _check_region(session: AsyncSession, principal: Principal, region_code: str) -> None:
    if not principal.covers(region_code):
        raise Forbidden(f"region {region_code} lies outside your scope")
    await regions.require_region(session, region_code, on=clock.today())


async def _check_trust(session: AsyncSession, principal: Principal, trust_id: uuid.UUID) -> None:
    found = await trusts.trust(session, trust_id)
    if found is None or (found.status == "draft" and not principal.covers(found.region_code)):
        raise Unprocessable.at(("body", "charity_trust_id"), "no charity trust with this id")


async def create(uow: UnitOfWork, principal: Principal, data: ResourceCreate) -> ResourceRead:
    await _check_region(uow.session, principal, data.region_code)
    if data.charity_trust_id is not None:
        await _check_trust(uow.session, principal, data.charity_trust_id)
    resource = Resource(
        region_code=data.region_code,
        name=data.name,
        provider=data.provider,
        provider_kind=data.provider_kind,
        description=data.description,
        need_types=delimited(data.need_types) or "",
        capacity=data.capacity,
        contact=data.contact or None,
        charity_trust_id=data.charity_trust_id,
        active=True,
    )
    _apply_eligibility(resource, data.eligibility)
    await uow.create(resource, details={"need_types": list(data.need_types)})
    return shape(resource, 0)


async def load(
    session: AsyncSession, principal: Principal, resource_id: uuid.UUID, *, for_update: bool = False
) -> Resource:
    resource = await ResourceRepository(session).get(resource_id, principal.region, for_update=for_update)
    if resource is None:
        raise ResourceNotFound(resource_id)
    return resource


async def get(session: AsyncSession, principal: Principal, resource_id: uuid.UUID) -> ResourceRead:
    resource = await load(session, principal, resource_id)
    held = await ResourceRepository(session).in_use([resource.id])
    return shape(resource, held.get(resource.id, 0))


async def list_resources(
    session: AsyncSession, principal: Principal, params: PageParams, filters: ResourceFilter
) -> Page[ResourceRead]:
    repo = ResourceRepository(session)
    rows, total = await repo.search(principal.region, params, filters)
    held = await repo.in_use([r.id for r in rows[: params.limit]])
    return build_page(rows, params, lambda r: [r.id], lambda r: shape(r, held.get(r.id, 0)), total)


async def everything(
    session: AsyncSession, principal: Principal, filters: ResourceFilter
) -> list[ResourceRead]:
    """Every resource visible to the caller matching ``filters`` (for exports)."""
    repo = ResourceRepository(session)
    rows = await repo.all_matching(principal.region, filters)
    held = await repo.in_use([r.id for r in rows])
    return [shape(r, held.get(r.id, 0)) for r in rows]


async def _writable(uow: UnitOfWork, principal: Principal, resource_id: uuid.UUID, expected: int) -> Resource:
    resource = await load(uow.session, principal, resource_id, for_update=True)
    if not principal.covers(resource.region_code):
        # Visible because it serves the caller's region, but it belongs to a region above.
        raise Forbidden(f"resource {resource_id} belongs to {resource.region_code}, outside your scope")
    uow.check_writable(resource)
    uow.check_version(resource, expected)
    return resource


async def update(
    uow: UnitOfWork, principal: Principal, resource_id: uuid.UUID, data: ResourceUpdate, expected_version: int
) -> ResourceRead:
    resource = await _writable(uow, principal, resource_id, expected_version)
    if data.charity_trust_id is not None and data.charity_trust_id != resource.charity_trust_id:
        await _check_trust(uow.session, principal, data.charity_trust_id)
    changed: list[str] = []
    values: dict[str, Any] = {
        key: getattr(data, key) for key in data.model_fields_set if key not in {"need_types", "eligibility"}
    }
    if data.need_types is not None:
        values["need_types"] = delimited(data.need_types) or ""
    for key, value in sorted(values.items()):
        if value is None and key in {"name", "provider", "provider_kind", "description", "active"}:
            continue
        if getattr(resource, key) != value:
            setattr(resource, key, value)
            changed.append(key)
    if data.eligibility is not None:
        before = eligibility_of(resource)
        _apply_eligibility(resource, data.eligibility)
        if eligibility_of(resource) != before:
            changed.append("eligibility")
    await uow.update(resource, expected_version=expected_version, changed=changed)
    held = await ResourceRepository(uow.session).in_use([resource.id])
    return shape(resource, held.get(resource.id, 0))


async def delete(
    uow: UnitOfWork, principal: Principal, resource_id: uuid.UUID, expected_version: int
) -> None:
    resource = await _writable(uow, principal, resource_id, expected_version)
    held = (await ResourceRepository(uow.session).in_use([resource.id])).get(resource.id, 0)
    if held:
        raise Conflict(
            f"{held} active referrals hold places of this resource; close or decline them first",
            extra={"in_use": held},
        )
    await uow.delete(resource, expected_version=expected_version)
