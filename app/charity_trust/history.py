"""Change filings and annual reports of filed trusts: the trust's syncable history."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.charity_trust import amounts, composition, deadlines, parties
from app.charity_trust.composition import Problem
from app.charity_trust.exceptions import DuplicateReport, TrustNotFound
from app.charity_trust.models import CharityTrust, TrustAnnualReport, TrustChange
from app.charity_trust.repository import TrustRepository
from app.charity_trust.schemas import AnnualReportIn, AnnualReportRead, ChangeIn, ChangeRead
from app.charity_trust.service import check_operation, load, raise_problems
from app.core.clock import clock
from app.core.errors import Unprocessable
from app.core.money import format_money, from_fen, to_fen
from app.core.pagination import Page, PageParams, build_page
from app.ledger.unit_of_work import UnitOfWork
from app.security.pii import PiiCipher
from app.security.principal import Principal


def change_read(change: TrustChange) -> ChangeRead:
    return ChangeRead.model_validate(change)


def report_read(report: TrustAnnualReport) -> AnnualReportRead:
    return AnnualReportRead.model_validate(report)


def _change_problems(trust: CharityTrust, data: ChangeIn, filed_on: date, today: date) -> list[Problem]:
    amount_fen = to_fen(data.amount) if data.amount is not None else None
    given = {name for name in data.model_fields_set if getattr(data, name) is not None}
    problems = composition.check_change_fields(data.type, given, data.details, amount_fen)
    if data.effective_on < trust.signed_on:
        problems.append(Problem(("effective_on",), "the change takes effect before the trust was signed"))
    problems += composition.check_day(
        filed_on,
        not_before=trust.filed_on or trust.signed_on,
        not_after=today,
        at=("filed_on",),
        what="the change filing date",
    )
    if data.type == "trustee" and data.trustees is not None:
        problems += composition.check_trustees(data.trustees)
        if trust.supervisor_uscc and trust.supervisor_uscc in {t.uscc for t in data.trustees}:
            problems.append(Problem(("trustees",), "the trust's supervisor cannot become a trustee"))
    return problems


async def add_change(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    trust_id: uuid.UUID,
    data: ChangeIn,
    expected_version: int | None,
) -> ChangeRead:
    repo = TrustRepository(uow.session)
    trust = await load(repo, principal, trust_id)
    uow.check_writable(trust)
    uow.check_version(trust, expected_version)
    check_operation("change", trust.status)
    today = clock.today()
    filed_on = data.filed_on or today
    raise_problems(_change_problems(trust, data, filed_on, today))
    change = TrustChange(
        trust_id=trust.id,
        region_code=trust.region_code,
        change_type=data.type,
        effective_on=data.effective_on,
        filed_on=filed_on,
        late=deadlines.change_late(data.effective_on, filed_on),
        description=data.details.strip(),
    )
    changed: list[str] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if data.type == "property" and data.amount is not None:
        change.amount_fen = to_fen(data.amount)
        try:
            after_fen = amounts.apply_property_change(trust.current_amount_fen, change.amount_fen)
        except amounts.NonPositiveProperty as exc:
            raise Unprocessable.at(("body", "amount"), str(exc)) from None
        trust.current_amount_fen = change.amount_after_fen = after_fen
        # The change's stored before/after JSON (not a read schema) holds yuan strings.
        before["current_amount"] = format_money(from_fen(trust.current_amount_fen - change.amount_fen))
        after["current_amount"] = format_money(from_fen(trust.current_amount_fen))
        changed.append("current_amount")
    elif data.type == "trustee" and data.trustees is not None:
        people = await repo.parties([trust.id], for_update=True)
        before["trustees"] = parties.trustees_snapshot(people)
        kept = await parties.replace(uow, pii, trust, "trustee", people, data.trustees)
        after["trustees"] = parties.trustees_snapshot(kept)
        changed.append("trustees")
    elif data.type == "purpose":
        for key in ("purpose", "purpose_categories"):
            value = getattr(data, key)
            if value is not None:
                before[key] = getattr(trust, key)
                after[key] = list(value) if isinstance(value, list) else value
                setattr(trust, key, after[key])
                changed.append(key)
    change.before = before or None
    change.after = after or None
    if changed:
        await uow.update(
            trust,
            expected_version=expected_version,
            changed=changed,
            action="charity_trust.change",
            details={"type": data.type},
        )
    await uow.create(change, details={"trust_id": str(trust.id), "late": change.late})
    return change_read(change)


async def list_changes(
    session: AsyncSession, principal: Principal, trust_id: uuid.UUID, params: PageParams
) -> Page[ChangeRead]:
    repo = TrustRepository(session)
    if await repo.get(trust_id, principal.region) is None:
        raise TrustNotFound(trust_id)
    rows = await repo.changes(trust_id, params)
    return build_page(rows, params, lambda c: [c.id], change_read)


def _report_problems(
    trust: CharityTrust, data: AnnualReportIn, submitted_on: date, today: date
) -> list[Problem]:
    problems = composition.check_day(
        submitted_on,
        not_before=trust.filed_on or trust.signed_on,
        not_after=today,
        at=("submitted_on",),
        what="the submission date",
    )
    if data.year < trust.signed_on.year:
        problems.append(Problem(("year",), f"the trust was signed in {trust.signed_on.year}"))
    elif data.year >= submitted_on.year:
        problems.append(Problem(("year",), f"{data.year} has not ended when the report is submitted"))
    if data.charitable_spending + data.fees > data.expenditure:
        problems.append(
            Problem(("charitable_spending",), "charitable spending and fees together exceed the expenditure")
        )
    return problems


async def add_report(
    uow: UnitOfWork, principal: Principal, trust_id: uuid.UUID, data: AnnualReportIn
) -> AnnualReportRead:
    repo = TrustRepository(uow.session)
    trust = await load(repo, principal, trust_id)
    uow.check_writable(trust)
    check_operation("report", trust.status)
    today = clock.today()
    submitted_on = data.submitted_on or today
    raise_problems(_report_problems(trust, data, submitted_on, today))
    if await repo.report_exists(trust.id, data.year):
        raise DuplicateReport(data.year)
    report = TrustAnnualReport(
        trust_id=trust.id,
        region_code=trust.region_code,
        year=data.year,
        income_fen=to_fen(data.income),
        expenditure_fen=to_fen(data.expenditure),
        charitable_spending_fen=to_fen(data.charitable_spending),
        fees_fen=to_fen(data.fees),
        year_end_balance_fen=to_fen(data.year_end_balance),
        submitted_on=submitted_on,
        late=deadlines.report_late(data.year, submitted_on),
        note=data.note,
    )
    await uow.create(report, details={"trust_id": str(trust.id), "year": data.year, "late": report.late})
    return report_read(report)


async def list_reports(
    session: AsyncSession, principal: Principal, trust_id: uuid.UUID, params: PageParams
) -> Page[AnnualReportRead]:
    repo = TrustRepository(session)
    if await repo.get(trust_id, principal.region) is None:
        raise TrustNotFound(trust_id)
    rows = await repo.reports(trust_id, params)
    return build_page(rows, params, lambda r: [r.year, r.id], report_read)
