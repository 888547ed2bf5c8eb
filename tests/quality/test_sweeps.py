"""The sweeps (several rules of a table decided in one reading of it), the region rules found by
index and the score's tallies give what each rule's own statement, and the former statements,
gave — on the suite's engine, over a register drawn at random with every case the rules tell
apart (ages about the thresholds, statuses, categories, deleted records, assessments and
self-care records current or not, deaths, visits old and recent, codes unknown or retired)."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, Table, case, exists, func, insert, not_, or_, select, union_all

from app.core.db import Database
from app.core.pagination import CursorCodec, PageParams
from app.core.record import ENTITIES
from app.models import import_all_models
from app.quality import sweeps
from app.quality.repository import QualityRepository
from app.quality.rules import Rule, all_rules
from app.reference import load_reference
from app.security.scope import in_scope, scope_range
from tests.conftest import make_settings
from tests.quality.test_statements import NOW, TODAY, row

SCOPES = ("330500", "330502", "330521001000", "330523")
REGIONS = ("330502001000", "330502002000", "330503001000", "330521001000", "330523001000", "330502999999")
STATUSES = ("applied", "verified", "approved", "approved", "suspended", "exited", "rejected")
LEVELS = ("intact", "mild", "moderate", "severe", "total")
# About the thresholds on 2026-12-03: 80 (and 80 yesterday), 60, 18.
BIRTHS = (
    date(1940, 1, 1),
    date(1946, 12, 2),
    date(1946, 12, 3),
    date(1946, 12, 4),
    date(1966, 12, 3),
    date(1966, 12, 4),
    date(1990, 1, 1),
    date(2008, 12, 3),
    date(2008, 12, 4),
    date(2015, 5, 5),
)

# Self-care records (members under 60) about their 12 months: none, just out, just in, today.
SELF_CARE_DAYS = (None, None, date(2025, 12, 3), date(2025, 12, 4), TODAY)


def _table(name: str) -> Table:
    table: Table = ENTITIES[name].model.__table__  # type: ignore[attr-defined]
    return table


def _day(rng: random.Random, start: date, days: int) -> date:
    return start + timedelta(days=rng.randrange(days))


def _deleted(rng: random.Random) -> Any:
    return NOW if rng.random() < 0.08 else None


def draw(seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Households, members, assessments, deaths, visits and addresses drawn at random."""
    rng = random.Random(seed)
    care_rng = random.Random(seed + 1)
    rows: dict[str, list[dict[str, Any]]] = {
        name: [] for name in ("recipient_household", "recipient_member", "assessment", "death_record")
    }
    rows |= {"care_visit": [], "address": []}
    hashes: list[tuple[str, uuid.UUID, str]] = []
    for h in range(120):
        region = rng.choice(REGIONS)
        house = row(
            _table("recipient_household"),
            region_code=region,
            category=rng.choice(("dibao", "tekun", "tekun", "dibao_edge")),
            status=rng.choice(STATUSES),
            member_count=rng.randint(1, 4),
            head_name=f"户主{h}",
            applied_on=rng.choice(
                (TODAY + timedelta(days=1), TODAY, TODAY - timedelta(days=1), date(2024, 3, 1))
            ),
            last_reviewed_on=rng.choice((None, date(2025, 12, 2), date(2025, 12, 3), date(2026, 6, 1))),
            support_mode=rng.choice((None, "home", "institution")),
            address_id=rng.choice((None, uuid.uuid4())),
            deleted_at=_deleted(rng),
        )
        rows["recipient_household"].append(house)
        for m in range(house["member_count"]):
            hashes.append((hash_ := f"{len(hashes):064d}", house["id"], region))
            born = rng.choice(BIRTHS)
            rows["recipient_member"].append(
                row(
                    _table("recipient_member"),
                    region_code=rng.choice((region, region, "330502999999")),
                    household_id=house["id"],
                    relation="head" if m == 0 else rng.choice(("spouse", "child")),
                    id_number_hash=hash_,
                    birth_date=born,
                    living_alone=rng.random() < 0.3,
                    parents_absent=rng.random() < 0.3,
                    disability_grade=rng.choice((None, None, 1, 2, 3)),
                    deleted_at=_deleted(rng),
                    # Drawn apart, so the draws above stay what they were.
                    self_care_assessed_on=care_rng.choice(SELF_CARE_DAYS),
                )
            )
    for hash_, house_id, region in hashes:
        for _ in range(rng.choice((0, 0, 1, 2))):
            rows["assessment"].append(
                row(
                    _table("assessment"),
                    region_code=region,
                    id_number_hash=hash_,
                    assessed_on=rng.choice(
                        (TODAY, TODAY - timedelta(days=1), _day(rng, date(2025, 6, 1), 500))
                    ),
                    level_code=rng.choice(LEVELS),
                    next_due_on=rng.choice((TODAY, TODAY + timedelta(days=1), date(2027, 6, 1))),
                    superseded_by=rng.choice((None, None, None, uuid.uuid4())),
                    deleted_at=_deleted(rng),
                )
            )
        if rng.random() < 0.1:
            rows["death_record"].append(
                row(
                    _table("death_record"), region_code=region, id_number_hash=hash_, deleted_at=_deleted(rng)
                )
            )
        for _ in range(rng.choice((0, 0, 1, 2))):
            rows["care_visit"].append(
                row(
                    _table("care_visit"),
                    region_code=region,
                    id_number_hash=rng.choice((hash_, f"{rng.randrange(10**6):064d}")),
                    household_id=rng.choice((house_id, None)),
                    visited_on=rng.choice((_day(rng, TODAY - timedelta(days=45), 47), date(2025, 1, 1))),
                    deleted_at=_deleted(rng),
                )
            )
    for a in range(60):
        rows["address"].append(
            row(
                _table("address"),
                region_code=rng.choice(REGIONS),
                address_code=f"A{a}",
                plate_code=f"P{a}",
                match_key=f"M{a}",
                aliases=[],
                status=rng.choice(("active", "active", "retired")),
                lon=rng.choice((None, 120.1)),
                lat=rng.choice((None, 30.9)),
                deleted_at=_deleted(rng),
            )
        )
    return rows


@pytest.fixture
async def drawn(fresh_db: Callable[..., Any]) -> AsyncIterator[Database]:
    url = await fresh_db()
    settings = make_settings(url)
    db = Database(settings)
    await load_reference(db, settings)
    async with db.writer() as session, session.begin():
        for name, rows in draw().items():
            await session.execute(insert(_table(name)), rows)
    try:
        yield db
    finally:
        await db.dispose()


def former_region_invalid(table: Table, today: date) -> Select[Any]:
    """The region rule as it was written before (every record matched with the regions)."""
    region = _table("region")
    valid = exists().where(
        region.c.code == table.c.region_code,
        region.c.deleted_at.is_(None),
        or_(region.c.valid_to.is_(None), region.c.valid_to >= today),
    )
    return select(table.c.id.label("key"), table.c.region_code).where(
        table.c.deleted_at.is_(None), not_(valid)
    )


def former_tallies(
    table: Table, rules: list[Rule], scope: str, today: date, child_length: int
) -> Select[Any]:
    """The score's tally as it was computed before: every record matched with the failing ids."""
    failing = union_all(*[select(rule.check(today).subquery().c.key) for rule in rules])
    child = func.substr(table.c.region_code, 1, child_length)
    return (
        select(child, func.count(), func.coalesce(func.sum(case((table.c.id.in_(failing), 1), else_=0)), 0))
        .where(table.c.deleted_at.is_(None), scope_range(table.c.region_code, scope))
        .group_by(child)
    )


async def _failing(db: Database, rule: Rule, scope: str) -> list[Any]:
    async with db.reader() as session:
        rows = (await session.execute(rule.check(TODAY))).all()
    return sorted(r.key for r in rows if in_scope(scope, r.region_code))


def _swept() -> dict[str, list[Rule]]:
    import_all_models()
    out: dict[str, list[Rule]] = {}
    for rule in all_rules().values():
        if rule.dataset in ENTITIES and sweeps.decides(_table(rule.dataset), [rule], sweeps.READING):
            out.setdefault(rule.dataset, []).append(rule)
    return out


async def test_sweeps_decide_the_rules_they_share() -> None:
    assert {name: [r.code for r in rules] for name, rules in _swept().items()} == {
        "recipient_member": ["elderly_assessment_overdue", "tekun_assessment_missing", "visit_overdue"],
    }
    for name in ("recipient_household", "recipient_member", "address"):
        rules = [r for r in all_rules().values() if r.dataset == name and r.record_based]
        assert sweeps.decides(_table(name), rules, sweeps.COUNTING), name


async def test_each_swept_rule_counts_and_samples_as_its_statement(drawn: Database) -> None:
    seen: dict[str, int] = {}
    for name, rules in _swept().items():
        for scope in SCOPES:
            expected = [await _failing(drawn, rule, scope) for rule in rules]
            async with drawn.reader() as session:
                repo = QualityRepository(session)
                few = await repo.counts_and_samples(_table(name), rules, scope, TODAY, 5)
                every = await repo.counts_and_samples(_table(name), rules, scope, TODAY, 10_000)
                alone = [await repo.count_and_sample(rule, scope, TODAY, 5) for rule in rules]
            for rule, keys, (count, sample), (_, whole), one in zip(
                rules, expected, few, every, alone, strict=True
            ):
                assert (count, sample) == (len(keys), keys[:5]) == one, (rule.code, scope)
                assert whole == keys, (rule.code, scope)
                seen[rule.code] = seen.get(rule.code, 0) + len(keys)
    assert all(n > 3 for n in seen.values()), str(seen)


async def test_region_rules_find_what_they_found_before(drawn: Database) -> None:
    for name, spec in ENTITIES.items():
        if spec.kind != "business":
            continue
        rule = all_rules()[f"{name}_region_invalid"]
        async with drawn.reader() as session:
            now = sorted((r.key, r.region_code) for r in (await session.execute(rule.check(TODAY))).all())
            before = sorted(
                (r.key, r.region_code)
                for r in (await session.execute(former_region_invalid(_table(name), TODAY))).all()
            )
        assert now == before, name
    async with drawn.reader() as session:
        members = (await session.execute(all_rules()["recipient_member_region_invalid"].check(TODAY))).all()
    assert len(members) > 10


async def test_tallies_are_those_counted_before(drawn: Database) -> None:
    for name in ("recipient_household", "recipient_member", "address", "care_visit", "assessment"):
        rules = [r for r in all_rules().values() if r.dataset == name and r.record_based]
        for scope, child_length in (("330500", 6), ("330502", 9), ("330521001000", 12)):
            async with drawn.reader() as session:
                now = await QualityRepository(session).tallies(
                    _table(name), rules, scope, TODAY, child_length
                )
                query = former_tallies(_table(name), rules, scope, TODAY, child_length)
                before = {str(c): (int(n), int(bad)) for c, n, bad in (await session.execute(query)).all()}
            assert now == before, (name, scope)
            assert sum(bad for _, bad in now.values()) <= sum(n for n, _ in now.values())


async def test_findings_page_through_the_swept_rules(drawn: Database) -> None:
    rule = all_rules()["visit_overdue"]
    keys = await _failing(drawn, rule, "330500")
    async with drawn.reader() as session:
        page = await QualityRepository(session).page(
            rule, "330500", TODAY, PageParams(limit=500, after=None, count=False, codec=CursorCodec("t"))
        )
    assert sorted(r.key for r in page) == keys
    assert len(keys) > 5


async def test_rules_counted_together_count_as_each_alone(drawn: Database) -> None:
    swept = {rule.code for rules in _swept().values() for rule in rules}
    uuid_keyed = [
        r for r in all_rules().values() if r.code not in swept and r.code != "indicator_report_missing"
    ]
    for scope in SCOPES:
        async with drawn.reader() as session:
            repo = QualityRepository(session)
            together = await repo.each_count_and_sample(uuid_keyed, scope, TODAY, 5)
            alone = [await repo.count_and_sample(rule, scope, TODAY, 5) for rule in uuid_keyed]
            codes = [all_rules()["indicator_report_missing"]]
            assert await repo.each_count_and_sample(codes, scope, TODAY, 5) == [
                await repo.count_and_sample(codes[0], scope, TODAY, 5)
            ]
        assert together == alone, scope
    assert sum(count for count, _ in together) > 0
