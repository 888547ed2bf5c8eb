"""Assessments: record (scored by the server), read, list, amend; the look-ups other domains use."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment import scoring
from app.assessment.exceptions import AlreadyAmended, AssessmentNotFound
from app.assessment.models import Assessment
from app.assessment.repository import AssessmentRepository
from app.assessment.schemas import (
    AmendmentCreate,
    AssessmentCreate,
    AssessmentFilter,
    AssessmentRead,
    ConditionsIn,
    ConditionsRead,
    SubjectRead,
)
from app.assessment.tables import TABLES, Conditions, Table
from app.core.clock import clock
from app.core.errors import Forbidden, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.core.validators import id_number_birth_date, id_number_sex
from app.ledger.unit_of_work import UnitOfWork
from app.region import service as regions
from app.region.exceptions import UnknownRegion
from app.security.pii import PiiCipher, mask_id_number
from app.security.principal import Principal

ASSESSMENT_LEVELS = ("township", "village")
MIN_AGE = 60


def id_hash(pii: PiiCipher, id_number: str) -> str:
    return pii.blind_index("id_number", id_number)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def level_name(record: Assessment) -> str:
    table = TABLES.get(record.standard)
    if table is None:
        return record.level_code
    return scoring.band_of_level(table, record.level).name_zh


def _in_table_order(values: Mapping[str, int], order: Sequence[str]) -> dict[str, int]:
    """JSON columns come back in the engine's key order (JSONB sorts keys); answer in the table's."""
    rank = {code: i for i, code in enumerate(order)}
    return {str(k): int(values[k]) for k in sorted(values, key=lambda k: (rank.get(k, len(rank)), k))}


def shape(pii: PiiCipher, record: Assessment, *, reveal: bool = False) -> AssessmentRead:
    """The subject's ID number masked unless revealed, the age on the day derived, the items and
    dimensions put in the order of the standard's table."""
    id_number = pii.decrypt("id_number", record.id_number_enc) if reveal else record.id_number_masked
    table = TABLES.get(record.standard)
    item_order = [i.code for i in table.items] if table else []
    dimension_order = [d.code for d in table.dimensions] if table else []
    return AssessmentRead(
        id=record.id,
        version=record.version,
        region_code=record.region_code,
        subject=SubjectRead(
            name=record.subject_name,
            id_number=id_number,
            sex=record.sex,
            age=_age(record.birth_date, record.assessed_on),
        ),
        assessed_on=record.assessed_on,
        assessor=record.assessor,
        standard=record.standard,
        items=_in_table_order(record.items, item_order),
        conditions=ConditionsRead.model_validate(record, from_attributes=True),
        total_score=record.total_score,
        dimension_scores=_in_table_order(record.dimension_scores, dimension_order),
        base_level=record.base_level,
        level=record.level,
        level_code=record.level_code,
        level_name=level_name(record),
        adjustments_applied=list(record.adjustments),
        next_due_on=record.next_due_on,
        amends=record.amends,
        amendment_reason=record.amendment_reason,
        superseded_by=record.superseded_by,
        origin=record.origin,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _date_problems(
    table: Table, assessed_on: date, born: date, *, age_loc: scoring.Loc, today: date
) -> list[scoring.Problem]:
    problems: list[scoring.Problem] = []
    if assessed_on > today:
        problems.append(scoring.Problem(("body", "assessed_on"), "the assessment day lies in the future"))
    elif assessed_on < table.effective_from:
        problems.append(
            scoring.Problem(
                ("body", "assessed_on"),
                f"{table.code} applies from {table.effective_from.isoformat()}; "
                "earlier assessments follow the standard then in force",
            )
        )
    age = _age(born, assessed_on)
    if age < MIN_AGE:
        problems.append(
            scoring.Problem(
                age_loc,
                f"the subject is {max(age, 0)} on the assessment day; assessments are for 60 and over",
            )
        )
    return problems


def _raise(problems: Sequence[scoring.Problem]) -> None:
    if problems:
        raise Unprocessable(problems[0].msg, errors=[{"loc": list(p.loc), "msg": p.msg} for p in problems])


def _conditions(data: ConditionsIn) -> Conditions:
    return Conditions(
        coma=data.coma,
        dementia=data.dementia,
        psychiatric_disorder=data.psychiatric_disorder,
        care_risk_events_30d=data.care_risk_events_30d,
    )


def _score_onto(record: Assessment, table: Table, items: Mapping[str, int], conditions: Conditions) -> None:
    result = scoring.score(table, items, conditions)
    record.items = dict(items)
    record.coma = conditions.coma
    record.dementia = conditions.dementia
    record.psychiatric_disorder = conditions.psychiatric_disorder
    record.care_risk_events_30d = conditions.care_risk_events_30d
    record.total_score = result.total
    record.dimension_scores = result.dimensions
    record.base_level = result.base_level
    record.level = result.level
    record.level_code = result.level_code
    record.adjustments = list(result.adjustments)
    record.next_due_on = scoring.next_due(table, record.assessed_on)


async def create(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    data: AssessmentCreate,
    *,
    today: date | None = None,
) -> AssessmentRead:
    if not principal.covers(data.region_code):
        raise Forbidden(f"region {data.region_code} lies outside your scope")
    table = TABLES[data.standard]
    born = id_number_birth_date(data.subject.id_number)
    problems: list[scoring.Problem] = []
    try:
        await regions.require_region(uow.session, data.region_code, levels=ASSESSMENT_LEVELS)
    except UnknownRegion as exc:
        problems += [scoring.Problem(tuple(e["loc"]), e["msg"]) for e in exc.errors or []]
    problems += _date_problems(
        table,
        data.assessed_on,
        born,
        age_loc=("body", "subject", "id_number"),
        today=today or clock.today(),
    )
    problems += scoring.check_items(table, data.items)
    problems += scoring.check_conditions(table, data.items, _conditions(data.conditions))
    _raise(problems)
    record = Assessment(
        region_code=data.region_code,
        subject_name=data.subject.name,
        id_number_enc=pii.encrypt("id_number", data.subject.id_number),
        id_number_hash=id_hash(pii, data.subject.id_number),
        id_number_masked=mask_id_number(data.subject.id_number),
        birth_date=born,
        sex=id_number_sex(data.subject.id_number),
        assessed_on=data.assessed_on,
        assessor=data.assessor,
        standard=table.code,
        items={},
        total_score=0,
        dimension_scores={},
        base_level=0,
        level=0,
        level_code="",
        next_due_on=data.assessed_on,
    )
    _score_onto(record, table, data.items, _conditions(data.conditions))
    await uow.create(record, details={"standard": table.code, "level": record.level})
    return shape(pii, record)


async def get(
    session: AsyncSession,
    principal: Principal,
    pii: PiiCipher,
    assessment_id: uuid.UUID,
    *,
    reveal: bool = False,
) -> AssessmentRead:
    record = await AssessmentRepository(session).get(assessment_id, principal.region)
    if record is None:
        raise AssessmentNotFound(assessment_id)
    return shape(pii, record, reveal=reveal)


async def list_assessments(
    session: AsyncSession, principal: Principal, pii: PiiCipher, params: PageParams, filters: AssessmentFilter
) -> Page[AssessmentRead]:
    found = id_hash(pii, filters.id_number) if filters.id_number else None
    rows, total = await AssessmentRepository(session).search(principal.region, params, filters, id_hash=found)
    return build_page(rows, params, lambda r: [r.id], lambda r: shape(pii, r), total)


async def amend(
    uow: UnitOfWork,
    principal: Principal,
    pii: PiiCipher,
    assessment_id: uuid.UUID,
    data: AmendmentCreate,
    expected_version: int | None,
    *,
    today: date | None = None,
) -> AssessmentRead:
    """A corrected, newly scored version; the original is kept and marked superseded."""
    repo = AssessmentRepository(uow.session)
    original = await repo.get(assessment_id, principal.region, for_update=True)
    if original is None:
        raise AssessmentNotFound(assessment_id)
    uow.check_writable(original)
    uow.check_version(original, expected_version)
    if original.superseded_by is not None:
        raise AlreadyAmended(original.id, original.superseded_by)
    table = TABLES.get(original.standard)
    if table is None:
        raise Unprocessable.at(("path", "assessment_id"), f"standard {original.standard} is not known here")
    assessed_on = data.assessed_on or original.assessed_on
    problems = _date_problems(
        table, assessed_on, original.birth_date, age_loc=("body", "assessed_on"), today=today or clock.today()
    )
    items = {**{str(k): int(v) for k, v in original.items.items()}, **(data.items or {})}
    problems += scoring.check_items(table, items)
    conditions = (
        _conditions(data.conditions)
        if data.conditions is not None
        else Conditions(
            coma=original.coma,
            dementia=original.dementia,
            psychiatric_disorder=original.psychiatric_disorder,
            care_risk_events_30d=original.care_risk_events_30d,
        )
    )
    problems += scoring.check_conditions(table, items, conditions)
    _raise(problems)
    record = Assessment(
        region_code=original.region_code,
        subject_name=data.subject_name or original.subject_name,
        id_number_enc=original.id_number_enc,
        id_number_hash=original.id_number_hash,
        id_number_masked=original.id_number_masked,
        birth_date=original.birth_date,
        sex=original.sex,
        assessed_on=assessed_on,
        assessor=data.assessor or original.assessor,
        standard=original.standard,
        items={},
        total_score=0,
        dimension_scores={},
        base_level=0,
        level=0,
        level_code="",
        next_due_on=assessed_on,
        amends=original.id,
        amendment_reason=data.reason,
    )
    _score_onto(record, table, items, conditions)
    await uow.create(record, action="amend", details={"amends": str(original.id), "level": record.level})
    original.superseded_by = record.id
    await uow.update(
        original,
        expected_version=expected_version,
        changed=["superseded_by"],
        action="supersede",
        details={"superseded_by": str(record.id)},
    )
    return shape(pii, record)


async def latest_levels(session: AsyncSession, id_hashes: list[str]) -> dict[str, tuple[str, date]]:
    """``{ID hash: (level code, assessed on)}`` of each person's latest assessment on this node
    (the recipients' discovery rules read it)."""
    return await AssessmentRepository(session).latest_of(id_hashes)


def latest_at_levels(level_codes: Sequence[str]) -> Select[Any]:
    """The ID hashes whose latest assessment has one of ``level_codes``, as a selection that
    other domains embed in their statements (the roster of visits reads the severe ones)."""
    return AssessmentRepository.latest_at_levels(level_codes)


async def latest_capabilities(
    session: AsyncSession, id_hashes: list[str]
) -> dict[str, tuple[str, date, date]]:
    """``{ID hash: (level code, assessed on, next due on)}`` of each person's latest assessment
    on this node (recipients read it for discovery and the tekun care allowance)."""
    return await AssessmentRepository(session).latest_due_of(id_hashes)


async def share_assessed(session: AsyncSession, region_code: str, as_of: date) -> tuple[int, int]:
    """For the indicators: ``(people with an assessment not yet due again, people ever assessed)``
    in the region on ``as_of``, each counted by their latest assessment."""
    return await AssessmentRepository(session).assessed_counts(region_code, as_of)


async def history_of(
    session: AsyncSession, pii: PiiCipher, id_number: str, scope: str
) -> Sequence[Assessment]:
    """A person's assessments in ``scope``, newest first (amended originals included)."""
    return await AssessmentRepository(session).history(id_hash(pii, id_number), scope)
