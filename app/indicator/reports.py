"""Indicator reports: operators report a region's figure as of a day; every report is kept and
the latest on or before a query date counts."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.errors import Forbidden, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.indicator import service as indicators
from app.indicator.computed import computation
from app.indicator.exceptions import ComputedIndicator
from app.indicator.figures import figure_text
from app.indicator.models import Indicator, IndicatorReport
from app.indicator.period import parse_period
from app.indicator.repository import ReportRepository
from app.indicator.schemas import ReportCreate, ReportRead
from app.indicator.targets import check_owner, check_period
from app.ledger.unit_of_work import UnitOfWork
from app.region import service as regions
from app.security.principal import Principal


def shape(report: IndicatorReport) -> ReportRead:
    return ReportRead.model_validate(report, from_attributes=True)


def _problems(indicator: Indicator, data: ReportCreate, today: date) -> list[dict[str, object]]:
    problems: list[dict[str, object]] = []

    def add(field: str, msg: str) -> None:
        problems.append({"loc": ["body", field], "msg": msg})

    period = parse_period(data.period)
    if data.as_of < period.start:
        add("as_of", f"as_of is before the period {data.period} begins")
    if data.as_of > today:
        add("as_of", "as_of is in the future")
    if indicator.aggregation == "ratio":
        if data.value is not None:
            add("value", "a ratio indicator is reported as numerator and denominator, not value")
        for field in ("numerator", "denominator"):
            if getattr(data, field) is None:
                add(field, f"{field} is required for a ratio indicator")
        if data.denominator == 0 and data.numerator:
            add("denominator", "denominator is 0 while numerator is not")
    else:
        if data.value is None:
            add("value", f"value is required for a {indicator.aggregation} indicator")
        for field in ("numerator", "denominator"):
            if getattr(data, field) is not None:
                add(field, f"{field} is only for ratio indicators; send value")
    return problems


async def create(uow: UnitOfWork, principal: Principal, code: str, data: ReportCreate) -> ReportRead:
    indicator = await indicators.require_visible(uow.session, principal, code)
    if computation(indicator.computed_by) is not None and indicator.computed_by is not None:
        raise ComputedIndicator(code, indicator.computed_by)
    if not principal.covers(data.region_code):
        raise Forbidden(f"region {data.region_code} lies outside your scope")
    check_owner(indicator, data.region_code, ("body", "region_code"))
    check_period(data.period, ("body", "period"))
    problems = _problems(indicator, data, clock.today())
    if problems:
        raise Unprocessable(str(problems[0]["msg"]), errors=problems)
    await regions.require_region(uow.session, data.region_code)
    report = IndicatorReport(
        indicator_code=code,
        region_code=data.region_code,
        period=data.period,
        as_of=data.as_of,
        value=figure_text(data.value) if data.value is not None else None,
        numerator=figure_text(data.numerator) if data.numerator is not None else None,
        denominator=figure_text(data.denominator) if data.denominator is not None else None,
        note=data.note.strip(),
    )
    await uow.create(report)
    return shape(report)


async def list_reports(
    session: AsyncSession,
    principal: Principal,
    code: str,
    params: PageParams,
    *,
    region_code: str | None,
    period: str | None,
) -> Page[ReportRead]:
    await indicators.require_visible(session, principal, code)
    rows = await ReportRepository(session).history(
        code, principal.region, params, region_code=region_code, period=period
    )
    return build_page(rows, params, lambda r: [r.as_of, r.id], shape)
