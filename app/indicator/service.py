"""Indicator definitions: reads for everyone whose scope the owner's region touches, admin
writes, and the look-ups targets, reports and progress share."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.indicator.computed import COMPUTATIONS
from app.indicator.exceptions import IndicatorExists, IndicatorNotFound
from app.indicator.models import Indicator
from app.indicator.repository import IndicatorRepository
from app.indicator.schemas import IndicatorCreate, IndicatorRead, IndicatorUpdate
from app.ledger.unit_of_work import UnitOfWork
from app.security.principal import Principal

_NOT_NULL = frozenset({"name_zh", "name_en", "domain", "unit", "scale", "comparator", "source_clause"})


def shape(indicator: Indicator) -> IndicatorRead:
    return IndicatorRead.model_validate(indicator, from_attributes=True)


def _check_computation(name: str | None) -> None:
    if name is not None and name not in COMPUTATIONS:
        known = ", ".join(sorted(COMPUTATIONS))
        raise Unprocessable.at(("body", "computed_by"), f"unknown computation {name}; known: {known}")


async def require_visible(session: AsyncSession, principal: Principal, code: str) -> Indicator:
    """The definition, when the caller's scope touches its owner's region; 404 otherwise."""
    indicator = await IndicatorRepository(session).get(code, principal.region)
    if indicator is None:
        raise IndicatorNotFound(code)
    return indicator


async def get(session: AsyncSession, principal: Principal, code: str) -> IndicatorRead:
    return shape(await require_visible(session, principal, code))


async def list_indicators(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    domain: str | None,
    aggregation: str | None,
) -> Page[IndicatorRead]:
    rows = await IndicatorRepository(session).search(
        principal.region, params, domain=domain, aggregation=aggregation
    )
    return build_page(rows, params, lambda i: [i.code], shape)


async def create(uow: UnitOfWork, principal: Principal, data: IndicatorCreate) -> IndicatorRead:
    # A definition belongs to the node that writes it: its region is the node's.
    if not principal.covers(uow.node_region):
        raise Forbidden(f"region {uow.node_region} lies outside your scope")
    _check_computation(data.computed_by)
    repo = IndicatorRepository(uow.session)
    if await repo.exists(data.code):
        raise IndicatorExists(data.code)
    indicator = Indicator(**data.model_dump(), region_code=uow.node_region)
    await uow.create(indicator)
    return shape(indicator)


async def update(
    uow: UnitOfWork, principal: Principal, code: str, data: IndicatorUpdate, expected_version: int
) -> IndicatorRead:
    indicator = await IndicatorRepository(uow.session).get(code, principal.region, for_update=True)
    if indicator is None:
        raise IndicatorNotFound(code)
    if not principal.covers(indicator.region_code):
        raise Forbidden(f"indicator {code} is owned by region {indicator.region_code}, outside your scope")
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and key in _NOT_NULL:
            raise Unprocessable.at(("body", key), f"{key} cannot be null")
    if "computed_by" in changes:
        _check_computation(changes["computed_by"])
    changed = [key for key, value in changes.items() if getattr(indicator, key) != value]
    for key in changed:
        setattr(indicator, key, changes[key])
    await uow.update(indicator, expected_version=expected_version, changed=changed)
    return shape(indicator)
