"""Quality results in scope: per-rule counts and samples, findings, scores per region."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.errors import NotFound
from app.core.pagination import Page, PageParams, build_page
from app.core.record import ENTITIES
from app.quality import sweeps
from app.quality.repository import QualityRepository
from app.quality.rules import Rule, all_rules
from app.quality.schemas import DatasetScore, Finding, QualityReport, QualityScore, RegionScore, RuleResult
from app.region import service as regions
from app.security.principal import Principal
from app.security.scope import region_prefix

_CHILD_LENGTH = {2: 4, 4: 6, 6: 9, 9: 12, 12: 12}
SAMPLE = 5


def _key(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def rule_of(code: str) -> Rule:
    rule = all_rules().get(code)
    if rule is None:
        raise NotFound(f"no quality rule {code}")
    return rule


def _swept() -> dict[Table, list[Rule]]:
    """The rules each dataset's sweep decides in the report, in rule order."""
    by_table: dict[Table, list[Rule]] = defaultdict(list)
    for rule in all_rules().values():
        entity = ENTITIES.get(rule.dataset)
        if entity is None:
            continue
        table: Table = entity.model.__table__  # type: ignore[attr-defined]
        if sweeps.decides(table, [rule], sweeps.READING):
            by_table[table].append(rule)
    return by_table


def _scope(principal: Principal, region_code: str | None) -> str:
    return region_code if region_code and principal.covers(region_code) else principal.region


async def report(
    session: AsyncSession, principal: Principal, *, region_code: str | None = None, today: date | None = None
) -> QualityReport:
    on = today or clock.today()
    scope = _scope(principal, region_code)
    repo = QualityRepository(session)
    found: dict[str, tuple[int, list[Any]]] = {}
    # The rules a sweep of their dataset's table decides, from one sweep of the table each
    # (app.quality.sweeps); the others one by one.
    for table, rules in _swept().items():
        counted = await repo.counts_and_samples(table, rules, scope, on, SAMPLE)
        found.update(zip((rule.code for rule in rules), counted, strict=True))
    # The others' own statements, together (one round trip for the rules of each key type).
    by_key: dict[type, list[Rule]] = defaultdict(list)
    for rule in all_rules().values():
        if rule.code not in found:
            by_key[type(rule.check(on).selected_columns.key.type)].append(rule)
    for rules in by_key.values():
        counted = await repo.each_count_and_sample(rules, scope, on, SAMPLE)
        found.update(zip((rule.code for rule in rules), counted, strict=True))
    results = []
    for rule in all_rules().values():
        count, sample = found[rule.code]
        results.append(
            RuleResult(
                rule=rule.code,
                dataset=rule.dataset,
                severity=rule.severity,
                title_zh=rule.title_zh,
                title_en=rule.title_en,
                description=rule.description,
                count=count,
                sample=[_key(k) for k in sample],
            )
        )
    return QualityReport(region_code=scope, as_of=on, rules=results)


async def findings(
    session: AsyncSession,
    principal: Principal,
    code: str,
    params: PageParams,
    *,
    region_code: str | None = None,
    today: date | None = None,
) -> Page[Finding]:
    rule = rule_of(code)
    rows = await QualityRepository(session).page(
        rule, _scope(principal, region_code), today or clock.today(), params
    )
    return build_page(
        rows,
        params,
        lambda r: [r.key],
        lambda r: Finding(key=_key(r.key), region_code=r.region_code, detail=r.detail),
    )


async def score(
    session: AsyncSession, principal: Principal, *, region_code: str | None = None, today: date | None = None
) -> QualityScore:
    """Per dataset and child region: the share of records that pass every rule of the dataset."""
    on = today or clock.today()
    scope = _scope(principal, region_code)
    child_length = _CHILD_LENGTH[len(region_prefix(scope))]
    children = await regions.children_of(session, scope)
    names = {c.code[:child_length]: (c.code, c.name) for c in children}
    by_dataset: dict[str, list[Rule]] = defaultdict(list)
    for rule in all_rules().values():
        if rule.record_based:
            by_dataset[rule.dataset].append(rule)
    repo = QualityRepository(session)
    datasets = []
    overall_total: dict[str, int] = defaultdict(int)
    overall_failing: dict[str, int] = defaultdict(int)
    for dataset, rules in sorted(by_dataset.items()):
        table: Any = ENTITIES[dataset].model.__table__  # type: ignore[attr-defined]
        tallies = await repo.tallies(table, rules, scope, on, child_length)
        rows = []
        for prefix, (code, name) in sorted(names.items()):
            total, bad = tallies.get(prefix, (0, 0))
            overall_total[prefix] += total
            overall_failing[prefix] += bad
            rows.append(
                RegionScore(
                    region_code=code,
                    name=name,
                    total=total,
                    failing=bad,
                    score=round((total - bad) / total, 4) if total else None,
                )
            )
        datasets.append(DatasetScore(dataset=dataset, regions=rows))
    ranking = [
        RegionScore(
            region_code=code,
            name=name,
            total=overall_total[p],
            failing=overall_failing[p],
            score=round((overall_total[p] - overall_failing[p]) / overall_total[p], 4)
            if overall_total[p]
            else None,
        )
        for p, (code, name) in names.items()
    ]
    ranking.sort(key=lambda r: (r.score is None, -(r.score or 0.0), r.region_code))
    return QualityScore(region_code=scope, as_of=on, datasets=datasets, ranking=ranking)
