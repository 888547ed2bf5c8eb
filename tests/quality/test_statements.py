"""The quality statements rewritten for speed give the counts, samples, findings and tallies
they gave before, on the suite's engine: a small register written straight into the tables
with every case the rules tell apart, checked against counts worked out by hand and against
the former form of the rewritten rule."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    Table,
    and_,
    exists,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from app.core.db import Database
from app.core.pagination import CursorCodec, PageParams
from app.quality import checks
from app.quality.repository import QualityRepository
from app.quality.rules import all_rules
from app.recipient.death_models import DeathRecord
from app.recipient.models import Household, Member, Payment
from app.reference import load_reference
from app.security.scope import in_scope, scope_range
from tests.conftest import make_settings

TODAY = date(2026, 12, 3)
H: Table = Household.__table__  # type: ignore[attr-defined]
M: Table = Member.__table__  # type: ignore[attr-defined]
P: Table = Payment.__table__  # type: ignore[attr-defined]
D: Table = DeathRecord.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _plain(column: Any) -> Any:
    """A value for a column the case does not care about."""
    kind = column.type
    if column.name == "id":
        return uuid.uuid4()
    if column.nullable:
        return None
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, (Integer, BigInteger, Float)):
        return 0
    if isinstance(kind, DateTime):
        return NOW
    if isinstance(kind, Date):
        return date(2024, 1, 1)
    if isinstance(kind, JSON):
        return {}
    return ""


def row(table: Table, **values: Any) -> dict[str, Any]:
    base = {c.name: _plain(c) for c in table.columns}
    base.update(origin="330500000000", version=1, updated_by="test", created_at=NOW, updated_at=NOW)
    base.update(values)
    return base


def _id_hash(n: int) -> str:
    return f"{n:064d}"


def former_payment_after_death(today: date) -> Select[Any]:
    """The rule as it was written before (two correlated look-ups for every payment)."""
    member = aliased(M)
    to_the_dead = exists().where(
        member.c.id == P.c.member_id,
        D.c.id_number_hash == member.c.id_number_hash,
        D.c.deleted_at.is_(None),
        D.c.died_month < P.c.month,
    )
    to_a_dead_household = exists().where(
        member.c.household_id == P.c.household_id,
        member.c.deleted_at.is_(None),
        H.c.id == P.c.household_id,
        or_(member.c.relation == "head", H.c.member_count == 1),
        D.c.id_number_hash == member.c.id_number_hash,
        D.c.deleted_at.is_(None),
        D.c.died_month < P.c.month,
    )
    return select(P.c.id.label("key"), P.c.region_code, literal("").label("detail")).where(
        P.c.deleted_at.is_(None),
        or_(
            and_(P.c.member_id.is_not(None), to_the_dead),
            and_(P.c.member_id.is_(None), to_a_dead_household),
        ),
    )


class Register:
    """The records written, and the payments expected to be flagged."""

    def __init__(self) -> None:
        self.households: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.deaths: list[dict[str, Any]] = []
        self.flagged: set[uuid.UUID] = set()
        self._n = 0

    def household(self, region: str, members: int, **values: Any) -> dict[str, Any]:
        record = row(
            H,
            region_code=region,
            category="dibao",
            status="approved",
            member_count=members,
            head_name="户主",
            applied_on=date(2025, 1, 1),
            last_reviewed_on=date(2026, 6, 1),
            **values,
        )
        self.households.append(record)
        return record

    def member(self, house: dict[str, Any], relation: str, **values: Any) -> dict[str, Any]:
        self._n += 1
        record = row(
            M,
            region_code=house["region_code"],
            household_id=house["id"],
            relation=relation,
            id_number_hash=_id_hash(self._n),
            birth_date=date(1990, 1, 1),
            **values,
        )
        self.members.append(record)
        return record

    def pay(
        self, house: dict[str, Any], month: str, member: dict[str, Any] | None = None, **values: Any
    ) -> Any:
        record = row(
            P,
            region_code=house["region_code"],
            household_id=house["id"],
            member_id=member["id"] if member else None,
            month=month,
            category="dibao",
            kind="care" if member else "dibao",
            amount_fen=100,
            member_count=1,
            **values,
        )
        self.payments.append(record)
        return record["id"]

    def died(self, member: dict[str, Any], month: str, **values: Any) -> None:
        day = date.fromisoformat(month + "-15")
        self.deaths.append(
            row(
                D,
                region_code=member["region_code"],
                id_number_hash=member["id_number_hash"],
                died_on=day,
                died_month=month,
                **values,
            )
        )


def register() -> Register:
    reg = Register()
    # A person paid by name (care allowance) who died in February: March and April are flagged.
    house = reg.household("330502001000", 2)
    head = reg.member(house, "head")
    reg.member(house, "spouse")
    reg.died(head, "2026-02")
    reg.pay(house, "2026-02", head)
    reg.flagged |= {reg.pay(house, "2026-03", head), reg.pay(house, "2026-04", head)}
    # The household of that head keeps being paid: flagged after February.
    reg.pay(house, "2026-01")
    reg.pay(house, "2026-02")
    reg.flagged.add(reg.pay(house, "2026-03"))
    # A deleted payment is never flagged.
    reg.pay(house, "2026-04", deleted_at=NOW)
    # A household whose only member died (not its head by relation): flagged.
    single = reg.household("330503001000", 1)
    alone = reg.member(single, "self")
    reg.died(alone, "2026-05")
    reg.pay(single, "2026-05")
    reg.flagged.add(reg.pay(single, "2026-06"))
    # A household of three whose child died: the household's payments go on rightly; the
    # child's own allowance after the death is flagged.
    family = reg.household("330521001000", 3)
    reg.member(family, "head")
    reg.member(family, "spouse")
    child = reg.member(family, "child")
    reg.died(child, "2026-03")
    reg.pay(family, "2026-04")
    reg.flagged.add(reg.pay(family, "2026-04", child))
    # A head removed from the register (deleted member): household payments are not flagged,
    # but the payments to that person by name still are.
    moved = reg.household("330521001000", 2)
    gone = reg.member(moved, "head", deleted_at=NOW)
    reg.member(moved, "spouse")
    reg.died(gone, "2026-01")
    reg.pay(moved, "2026-03")
    reg.flagged.add(reg.pay(moved, "2026-03", gone))
    # A death record withdrawn (deleted): nothing flagged.
    withdrawn = reg.household("330522001000", 1)
    ghost = reg.member(withdrawn, "head")
    reg.died(ghost, "2026-01", deleted_at=NOW)
    reg.pay(withdrawn, "2026-06")
    reg.pay(withdrawn, "2026-06", ghost)
    # Households with no death, one under a retired region code, one without an address.
    for i in range(6):
        plain = reg.household("330502001000" if i % 2 else "330523001000", 1)
        reg.member(plain, "head")
        reg.pay(plain, "2026-06")
    reg.household("330502999999", 1, address_id=uuid.uuid4())
    return reg


@pytest.fixture
async def seeded(fresh_db: Any) -> AsyncIterator[tuple[Database, Register]]:
    url = await fresh_db()
    settings = make_settings(url)
    db = Database(settings)
    await load_reference(db, settings)
    reg = register()
    async with db.writer() as session, session.begin():
        for table, rows in ((H, reg.households), (M, reg.members), (D, reg.deaths), (P, reg.payments)):
            await session.execute(insert(table), rows)
    try:
        yield db, reg
    finally:
        await db.dispose()


async def _listed(db: Database, code: str) -> list[tuple[Any, str]]:
    """Every failing record of a rule, whatever the scope: (key, region code)."""
    async with db.reader() as session:
        rows = (await session.execute(all_rules()[code].check(TODAY))).all()
    return [(r.key, r.region_code) for r in rows]


async def test_payments_after_death_are_those_found_before(seeded: tuple[Database, Register]) -> None:
    db, reg = seeded
    async with db.reader() as session:
        now = {r.key for r in (await session.execute(checks.payment_after_death(TODAY))).all()}
        before = {r.key for r in (await session.execute(former_payment_after_death(TODAY))).all()}
    assert now == before == reg.flagged
    assert len(reg.flagged) == 6


EXPECTED = {
    "household_without_address": {"330500": 11, "330502": 4, "330521": 2, "330523": 3},
    "payment_after_death": {"330500": 6, "330502": 3, "330521": 2, "330523": 0},
    "recipient_household_region_invalid": {"330500": 1, "330502": 1, "330521": 0, "330523": 0},
}


async def test_count_and_sample_in_one_statement(seeded: tuple[Database, Register]) -> None:
    db, _ = seeded
    for code, counts in EXPECTED.items():
        for scope in counts:
            keys = sorted(k for k, region in await _listed(db, code) if in_scope(scope, region))
            async with db.reader() as session:
                repo = QualityRepository(session)
                count, sample = await repo.count_and_sample(all_rules()[code], scope, TODAY, 5)
                page = await repo.page(
                    all_rules()[code],
                    scope,
                    TODAY,
                    PageParams(limit=500, after=None, count=False, codec=CursorCodec("test")),
                )
            assert count == len(keys) == counts[scope], code
            assert sample == keys[:5], code
            assert sorted(r.key for r in page) == keys, code


async def test_tallies_count_records_and_failing_per_child(seeded: tuple[Database, Register]) -> None:
    db, reg = seeded
    rules = [r for r in all_rules().values() if r.dataset == "recipient_household" and r.record_based]
    assert {r.code for r in rules} == {
        "household_without_address",
        "dibao_review_overdue",
        "recipient_household_region_invalid",
    }
    failing = {k for rule in rules for k, _ in await _listed(db, rule.code)}
    expected: dict[str, tuple[int, int]] = {}
    for house in reg.households:
        child = house["region_code"][:6]
        total, bad = expected.get(child, (0, 0))
        expected[child] = (total + 1, bad + (house["id"] in failing))
    async with db.reader() as session:
        tallies = await QualityRepository(session).tallies(H, rules, "330500", TODAY, 6)
    assert tallies == expected
    assert expected["330502"] == (5, 5)
    assert expected["330521"] == (2, 2)
    async with db.reader() as session:
        county = await QualityRepository(session).tallies(H, rules, "330502", TODAY, 9)
    assert county == {"330502001": (4, 4), "330502999": (1, 1)}


SCOPES = [
    (
        "330500",
        ["330500000000", "330502001000", "330599999999"],
        ["330400000000", "330600000000", "330499999999"],
    ),
    ("330509", ["330509000000", "330509999999"], ["330508999999", "330510000000", "330500000000"]),
    ("330599", ["330599001000"], ["330600000000", "330598000000"]),
    ("999999", ["999999000000", "999999999999"], ["999998999999", "330500000000"]),
    ("330502001000", ["330502001000", "330502001999"], ["330502002000", "330502000000"]),
]


async def test_scope_range_keeps_the_codes_of_the_prefix(seeded: tuple[Database, Register]) -> None:
    db, _ = seeded
    async with db.reader() as session:
        for scope, inside, outside in SCOPES:
            for code in inside + outside:
                found = (await session.execute(select(scope_range(literal(code), scope)))).scalar_one()
                assert bool(found) is (code in inside) is in_scope(scope, code), (scope, code)
