"""Region rules: reads within scope, admin writes, and look-ups other domains rely on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.errors import Forbidden, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.ledger.unit_of_work import UnitOfWork
from app.region.exceptions import RegionExists, RegionNotFound, UnknownRegion
from app.region.models import Region
from app.region.repository import RegionRepository
from app.region.schemas import (
    RegionCreate,
    RegionDetail,
    RegionListFilter,
    RegionRead,
    RegionRef,
    RegionUpdate,
)
from app.security.principal import Principal
from app.security.scope import ancestors, parent_code, region_level


def _ref(region: Region) -> RegionRef:
    return RegionRef(code=region.code, name=region.name, level=region.level)


async def get(session: AsyncSession, principal: Principal, code: str) -> RegionDetail:
    region = await RegionRepository(session).get(code)
    if region is None or not principal.covers(code):
        raise RegionNotFound(code)
    repo = RegionRepository(session)
    above = await repo.get_many(ancestors(code))
    below = await repo.children(code)
    return RegionDetail(
        **RegionRead.model_validate(region).model_dump(),
        ancestors=[_ref(r) for r in above],
        children=[_ref(r) for r in below],
    )


async def list_regions(
    session: AsyncSession, principal: Principal, params: PageParams, filters: RegionListFilter
) -> Page[RegionRead]:
    rows, total = await RegionRepository(session).search(principal.region, params, filters)
    return build_page(rows, params, lambda r: [r.code], RegionRead.model_validate, total)


async def create(uow: UnitOfWork, principal: Principal, data: RegionCreate) -> RegionRead:
    if not principal.covers(data.code):
        raise Forbidden(f"region {data.code} lies outside your scope")
    repo = RegionRepository(uow.session)
    if await repo.get(data.code) is not None:
        raise RegionExists(data.code)
    parent = parent_code(data.code)
    if parent is not None and await repo.get(parent) is None:
        raise UnknownRegion(("body", "code"), parent, "(the parent) is not a known region")
    _check_dates(data.valid_from, data.valid_to)
    region = Region(
        code=data.code,
        region_code=data.code,
        name=data.name,
        level=region_level(data.code),
        parent_code=parent,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
    )
    await uow.create(region)
    return RegionRead.model_validate(region)


async def update(
    uow: UnitOfWork, principal: Principal, code: str, data: RegionUpdate, expected_version: int
) -> RegionRead:
    region = await RegionRepository(uow.session).get(code, for_update=True)
    if region is None or not principal.covers(code):
        raise RegionNotFound(code)
    changes = data.model_dump(exclude_unset=True)
    _check_dates(changes.get("valid_from", region.valid_from), changes.get("valid_to", region.valid_to))
    for key, value in changes.items():
        setattr(region, key, value)
    await uow.update(region, expected_version=expected_version, changed=changes)
    return RegionRead.model_validate(region)


def _check_dates(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from and valid_to and valid_to < valid_from:
        raise Unprocessable.at(("body", "valid_to"), "valid_to is before valid_from")


async def require_region(
    session: AsyncSession,
    code: str,
    *,
    loc: tuple[str | int, ...] = ("body", "region_code"),
    on: date | None = None,
    levels: tuple[str, ...] | None = None,
) -> Region:
    """The region a record names; 422 at ``loc`` when unknown, out of force or the wrong level."""
    region = await RegionRepository(session).get(code)
    if region is None:
        raise UnknownRegion(loc, code)
    day = on or clock.today()
    if region.valid_to is not None and region.valid_to < day:
        raise UnknownRegion(loc, code, f"was retired on {region.valid_to.isoformat()}")
    if levels is not None and region.level not in levels:
        raise UnknownRegion(loc, code, f"is a {region.level}; expected {' or '.join(levels)}")
    return region


async def names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    return {r.code: r.name for r in await RegionRepository(session).get_many(sorted(set(codes)))}


async def subtree(
    session: AsyncSession, principal: Principal, code: str, levels: Sequence[str]
) -> tuple[RegionRef, dict[str, list[RegionRef]]]:
    """A region in scope and its descendants of the given levels, each region's children by
    code — the tree :func:`get` and :func:`children_of` give a level at a time, in one query."""
    if not principal.covers(code):
        raise RegionNotFound(code)
    root: RegionRef | None = None
    below: dict[str, list[RegionRef]] = {}
    for found_code, name, level, parent in await RegionRepository(session).subtree(code, levels):
        ref = RegionRef(code=found_code, name=name, level=level)
        if found_code == code:
            root = ref
        elif parent is not None:
            below.setdefault(parent, []).append(ref)
    if root is None:
        raise RegionNotFound(code)
    return root, below


async def children_of(session: AsyncSession, code: str) -> list[RegionRef]:
    return [_ref(r) for r in await RegionRepository(session).children(code)]
