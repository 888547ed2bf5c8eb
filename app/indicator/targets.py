"""Indicator targets: set per region and period by admins, listed with the sum of the direct
children's targets beside each one (a city's target split among its counties)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden, PreconditionFailed, PreconditionRequired, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.indicator import service as indicators
from app.indicator.figures import figure_text
from app.indicator.models import Indicator, IndicatorTarget
from app.indicator.period import parse_period
from app.indicator.repository import TargetRepository
from app.indicator.schemas import TargetIn, TargetRead
from app.ledger.unit_of_work import UnitOfWork
from app.region import service as regions
from app.security.principal import Principal
from app.security.scope import in_scope, parent_code

_Sums = dict[tuple[str, str], tuple[Decimal, int]]


def check_period(period: str, loc: tuple[str, ...]) -> None:
    try:
        parse_period(period)
    except ValueError as exc:
        raise Unprocessable.at(loc, str(exc)) from None


def check_owner(indicator: Indicator, region_code: str, loc: tuple[str, ...]) -> None:
    """Targets and reports are for regions inside the region that owns the definition."""
    if not in_scope(indicator.region_code, region_code):
        raise Unprocessable.at(
            loc,
            f"region {region_code} lies outside region {indicator.region_code}, which owns {indicator.code}",
        )


async def _children_sums(
    session: AsyncSession, principal: Principal, indicator: Indicator, periods: set[str]
) -> _Sums:
    sums: _Sums = {}
    if indicator.aggregation != "sum":
        return sums
    for period, region_code, target in await TargetRepository(session).in_scope(
        indicator.code, periods, principal.region
    ):
        parent = parent_code(region_code)
        if parent is None:
            continue
        total, count = sums.get((period, parent), (Decimal(0), 0))
        sums[(period, parent)] = (total + Decimal(target), count + 1)
    return sums


def _shape(target: IndicatorTarget, names: dict[str, str], sums: _Sums, principal: Principal) -> TargetRead:
    total, count = sums.get((target.period, target.region_code), (None, 0))
    # Children sums are over targets in the caller's scope, so only shown for regions in it.
    shown = total if principal.covers(target.region_code) else None
    return TargetRead(
        id=target.id,
        indicator_code=target.indicator_code,
        period=target.period,
        region_code=target.region_code,
        region_name=names.get(target.region_code),
        target=target.target,
        children_target_sum=figure_text(shown) if shown is not None else None,
        children_with_target=count if shown is not None else 0,
        origin=target.origin,
        version=target.version,
        updated_at=target.updated_at,
    )


async def _read(
    session: AsyncSession, principal: Principal, indicator: Indicator, rows: Sequence[IndicatorTarget]
) -> list[TargetRead]:
    names = await regions.names(session, [t.region_code for t in rows])
    sums = await _children_sums(session, principal, indicator, {t.period for t in rows})
    return [_shape(t, names, sums, principal) for t in rows]


async def set_target(
    uow: UnitOfWork,
    principal: Principal,
    code: str,
    period: str,
    region_code: str,
    data: TargetIn,
    expected_version: int | None,
) -> tuple[TargetRead, bool]:
    """Create (no ``If-Match``) or replace (``If-Match`` of the version read) a target."""
    check_period(period, ("path", "period"))
    indicator = await indicators.require_visible(uow.session, principal, code)
    if not principal.covers(region_code):
        raise Forbidden(f"region {region_code} lies outside your scope")
    check_owner(indicator, region_code, ("path", "region_code"))
    await regions.require_region(uow.session, region_code, loc=("path", "region_code"))
    repo = TargetRepository(uow.session)
    target = await repo.find(code, period, region_code, for_update=True)
    text = figure_text(data.target)
    created = target is None
    if target is None:
        if expected_version is not None:
            raise PreconditionFailed("no such target exists yet; send no If-Match to create it")
        target = IndicatorTarget(indicator_code=code, period=period, region_code=region_code, target=text)
        await uow.create(target)
    else:
        if expected_version is None:
            raise PreconditionRequired("If-Match is required to replace a target: send the ETag you read")
        changed = ["target"] if target.target != text else []
        if target.deleted_at is not None:
            target.deleted_at = None
            changed.append("deleted_at")
        target.target = text
        await uow.update(target, expected_version=expected_version, changed=changed)
    return (await _read(uow.session, principal, indicator, [target]))[0], created


async def list_targets(
    session: AsyncSession, principal: Principal, code: str, params: PageParams, *, period: str | None
) -> Page[TargetRead]:
    indicator = await indicators.require_visible(session, principal, code)
    rows = await TargetRepository(session).search(code, principal.region, params, period=period)
    shown = rows[: params.limit]
    read = await _read(session, principal, indicator, shown)
    shaped = {t.id: r for t, r in zip(shown, read, strict=True)}
    return build_page(rows, params, lambda t: [t.period, t.region_code], lambda t: shaped[t.id])
