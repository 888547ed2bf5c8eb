"""Every business dataset at city scale, seeded in SQL on PostgreSQL (``INSERT … SELECT`` over
``generate_series``), for the benchmarks that read all of them (quality, catalog).

Columns a benchmark does not look at get a plain value of their type (from the table's
metadata); the columns the quality rules read get values spread so that each rule finds some
records and passes most: households without an address, reviews overdue, members aged 60+
with and without a current assessment, deaths followed by payments, visits overdue, referrals
late, trusts filed late, a few records with an unknown region code in every table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, Integer, Table, Uuid

from app.core.record import ENTITIES
from app.models import import_all_models

_COMMON = {
    "id": "gen_random_uuid()",
    "origin": "'330500000000'",
    "version": "1",
    "created_at": "now()",
    "updated_at": "now()",
    "updated_by": "'bench'",
    "deleted_at": "NULL",
}
# One record in 250 of every table carries a region code that is not in the register.
_REGION = "CASE WHEN i % 250 = 0 THEN '330502999999' ELSE (:towns)[1 + i % :ntowns] END"
_DAY = "DATE '2022-01-01' + (i % 1100 * 7919 % 1100)"
_HASH = "md5('p' || (i % 300000))"


@dataclass(frozen=True)
class Dataset:
    """``rows`` records of ``table``; ``source`` is the FROM clause (``i`` numbers the rows,
    ``p`` is the parent record when there is one); ``values`` overrides column expressions."""

    table: str
    rows: int
    values: dict[str, str] = field(default_factory=dict)
    parent: str | None = None


def _parent(table: str) -> str:
    return (
        f"JOIN (SELECT *, row_number() OVER (ORDER BY id) AS rn FROM {table}) p "
        f"ON p.rn = 1 + (i % (SELECT count(*) FROM {table}))"
    )


def city(households: int = 100_000) -> list[Dataset]:
    """The datasets in dependency order, sized for a city of ``households`` households."""
    scale = households / 100_000

    def n(count: int) -> int:
        return max(1, int(count * scale))

    return [
        Dataset(
            "address",
            n(200_000),
            {
                "region_code": _REGION,
                "address_code": "'A' || i",
                "plate_code": "'P' || i",
                "full_name": "'湖州市测试路' || i || '号'",
                "search_text": "'湖州市测试路' || i || '号'",
                "match_key": "md5('a' || i)",
                "aliases": "'[]'::json",
                "lon": "CASE WHEN i % 20 = 0 THEN NULL ELSE 120.1 END",
                "lat": "CASE WHEN i % 20 = 0 THEN NULL ELSE 30.9 END",
                "status": "CASE WHEN i % 50 = 0 THEN 'retired' ELSE 'active' END",
            },
        ),
        Dataset(
            "recipient_household",
            households,
            {
                "region_code": _REGION,
                "category": "(ARRAY['dibao','dibao','dibao','dibao_edge','tekun'])[1 + i % 5]",
                "status": "(ARRAY['approved','approved','approved','applied','verified','exited'])"
                "[1 + i % 6]",
                "member_count": "1 + i % 5",
                "head_name": "'户主' || i",
                "support_mode": "CASE WHEN i % 5 = 4 THEN (ARRAY['home','institution'])[1 + i % 2] END",
                "applied_on": "DATE '2021-01-01' + (i % 700)",
                "last_reviewed_on": "CASE WHEN i % 7 = 0 THEN NULL ELSE DATE '2025-06-01' + (i % 540) END",
            },
        ),
        Dataset(
            "recipient_member",
            n(300_000),
            {
                "region_code": "p.region_code",
                "household_id": "p.id",
                "name": "'成员' || i",
                "relation": "CASE WHEN i <= (SELECT count(*) FROM recipient_household) "
                "THEN 'head' ELSE 'child' END",
                "id_number_enc": "'enc' || i",
                "id_number_hash": _HASH,
                "id_number_masked": "'330502********0000'",
                "birth_date": "DATE '1930-01-01' + (i % 32000 * 7907 % 32000)",
                "sex": "CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END",
                "disability_grade": "CASE WHEN i % 40 = 0 THEN 1 + i % 4 END",
                "living_alone": "i % 30 = 0",
                "parents_absent": "i % 60 = 0",
            },
            parent="recipient_household",
        ),
        Dataset(
            "assessment",
            n(50_000),
            {
                "region_code": _REGION,
                "subject_name": "'老人' || i",
                "id_number_enc": "'enc' || i",
                "id_number_hash": "md5('p' || (i * 6 % 300000))",
                "id_number_masked": "'330502********0000'",
                "birth_date": "DATE '1940-01-01'",
                "sex": "'male'",
                "assessed_on": "DATE '2024-01-01' + (i % 700)",
                "standard": "'GB/T 42195-2022'",
                "items": "'{}'::json",
                "dimension_scores": "'{}'::json",
                "adjustments": "'[]'::json",
                "level": "i % 5",
                "level_code": "(ARRAY['intact','mild','moderate','severe','total'])[1 + i % 5]",
                "next_due_on": "DATE '2025-06-01' + (i % 730)",
            },
        ),
        Dataset(
            "death_record",
            n(3_000),
            {
                "region_code": _REGION,
                "id_number_enc": "'enc' || i",
                "id_number_hash": "md5('p' || (i * 97 % 300000))",
                "id_number_masked": "'330502********0000'",
                "died_on": "DATE '2024-01-01' + (i % 600)",
                "died_month": "to_char(DATE '2024-01-01' + (i % 600), 'YYYY-MM')",
            },
        ),
        Dataset(
            "recipient_transition",
            n(200_000),
            {"region_code": "p.region_code", "household_id": "p.id", "action": "'approve'"},
            parent="recipient_household",
        ),
        Dataset(
            "payment_run",
            n(120),
            {
                "region_code": _REGION,
                "month": "to_char(DATE '2024-01-01' + (i / :ntowns % 24) * 31, 'YYYY-MM')",
            },
        ),
        Dataset(
            "payment",
            n(600_000),
            {
                "region_code": "p.region_code",
                "household_id": "p.id",
                "member_id": "NULL",
                "month": "to_char(DATE '2024-01-01' "
                "+ (i / (SELECT count(*) FROM recipient_household) % 24)::int * 31, 'YYYY-MM')",
                "category": "p.category",
                "kind": "'dibao'",
                "amount_fen": "100000",
                "member_count": "p.member_count",
            },
            parent="recipient_household",
        ),
        Dataset(
            "payment_skip",
            n(10_000),
            {
                "region_code": "p.region_code",
                "household_id": "p.id",
                "run_id": "(SELECT id FROM payment_run ORDER BY id LIMIT 1)",
            },
            parent="recipient_household",
        ),
        Dataset(
            "disability_subsidy",
            n(10_000),
            {
                "region_code": "p.region_code",
                "household_id": "p.household_id",
                "member_id": "p.id",
                "kind": "'living'",
                "status": "'approved'",
            },
            parent="recipient_member",
        ),
        Dataset(
            "disability_subsidy_transition",
            n(20_000),
            {"region_code": "p.region_code", "subsidy_id": "p.id", "action": "'approve'"},
            parent="disability_subsidy",
        ),
        Dataset(
            "care_visit",
            n(100_000),
            {
                "region_code": "p.region_code",
                "person_name": "p.name",
                "id_number_enc": "p.id_number_enc",
                "id_number_hash": "p.id_number_hash",
                "id_number_masked": "p.id_number_masked",
                "household_id": "p.household_id",
                "visited_on": "DATE '2025-01-01' + (i % 330)",
            },
            parent="recipient_member",
        ),
        Dataset(
            "care_need",
            n(20_000),
            {
                "region_code": "p.region_code",
                "person_name": "p.name",
                "id_number_enc": "p.id_number_enc",
                "id_number_hash": "p.id_number_hash",
                "id_number_masked": "p.id_number_masked",
                "birth_date": "p.birth_date",
                "household_id": "p.household_id",
                "type": "'meal'",
                "urgency": "'normal'",
                "source": "'visit'",
                "status": "'open'",
                "opened_on": _DAY,
            },
            parent="recipient_member",
        ),
        Dataset(
            "care_resource",
            n(2_000),
            {
                "region_code": _REGION,
                "name": "'资源' || i",
                "need_types": "'meal'",
                "capacity": "CASE WHEN i % 3 = 0 THEN NULL ELSE 5 END",
                "active": "true",
            },
        ),
        Dataset(
            "care_referral",
            n(20_000),
            {
                "region_code": "p.region_code",
                "need_id": "p.id",
                "resource_id": "(SELECT array_agg(id ORDER BY id) FROM care_resource)"
                "[1 + i % (SELECT count(*) FROM care_resource)]",
                "status": "(ARRAY['dispatched','accepted','served','declined'])[1 + i % 4]",
                "dispatched_on": _DAY,
                "accept_by": f"{_DAY} + 3",
                "due_on": f"{_DAY} + 30",
            },
            parent="care_need",
        ),
        Dataset(
            "care_referral_event",
            n(40_000),
            {"region_code": "p.region_code", "referral_id": "p.id", "action": "'dispatch'", "acted_on": _DAY},
            parent="care_referral",
        ),
        Dataset(
            "charity_trust",
            n(500),
            {
                "region_code": _REGION,
                "name": "'慈善信托' || i",
                "purpose_categories": "'[]'::json",
                "signed_on": "DATE '2020-01-01' + (i % 1500)",
                "status": "(ARRAY['filed','filed','filed','terminated','draft'])[1 + i % 5]",
                "filed_on": "DATE '2020-01-05' + (i % 1500)",
                "late_filing": "i % 10 = 0",
            },
        ),
        Dataset(
            "charity_trust_party",
            n(1_500),
            {
                "region_code": "p.region_code",
                "trust_id": "p.id",
                "role": "'trustee'",
                "name": "'受托人' || i",
            },
            parent="charity_trust",
        ),
        Dataset(
            "charity_trust_annual_report",
            n(1_000),
            {
                "region_code": "p.region_code",
                "trust_id": "p.id",
                "year": "2020 + (i / (SELECT count(*) FROM charity_trust))::int % 6",
                "submitted_on": _DAY,
            },
            parent="charity_trust",
        ),
        Dataset(
            "charity_trust_change",
            n(500),
            {
                "region_code": "p.region_code",
                "trust_id": "p.id",
                "change_type": "'amount'",
                "effective_on": _DAY,
                "filed_on": _DAY,
            },
            parent="charity_trust",
        ),
        Dataset(
            "indicator_report",
            n(2_000),
            {
                "region_code": "(SELECT array_agg(code ORDER BY code) FROM region WHERE level = 'county')"
                "[1 + i % 5]",
                "indicator_code": "(SELECT array_agg(code ORDER BY code) FROM indicator)[1 + i % 32]",
                "period": "(2020 + i % 6)::text",
                "as_of": _DAY,
            },
        ),
    ]


def _plain(column: Any) -> str:
    if column.nullable:
        return "NULL"
    kind = column.type
    if isinstance(kind, Uuid):
        return "gen_random_uuid()"
    if isinstance(kind, Boolean):
        return "false"
    if isinstance(kind, (Integer, BigInteger, Float)):
        return "0"
    if isinstance(kind, Date):
        return "DATE '2024-01-01'"
    if isinstance(kind, DateTime):
        return "now()"
    if isinstance(kind, JSON):
        return "'{}'::json"
    return "''"


def insert_sql(dataset: Dataset, table: Table) -> str:
    values = {**_COMMON, **dataset.values}
    names = [c.name for c in table.columns]
    exprs = [values.get(c.name) or _plain(c) for c in table.columns]
    source = f"generate_series(1, {dataset.rows}) AS g(i)"
    if dataset.parent:
        source += " " + _parent(dataset.parent)
    return f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(exprs)} FROM {source}"


async def seed(dsn: str, households: int = 100_000) -> dict[str, int]:
    """Seed every business dataset; the rows of each table afterwards."""
    import_all_models()
    conn = await asyncpg.connect(dsn)
    try:
        towns = [
            r["code"]
            for r in await conn.fetch("SELECT code FROM region WHERE level = 'township' ORDER BY code")
        ]
        literal = "ARRAY[" + ",".join(f"'{t}'" for t in towns) + "]::varchar[]"
        counts = {}
        for dataset in city(households):
            table: Table = ENTITIES[dataset.table].model.__table__  # type: ignore[attr-defined]
            sql = insert_sql(dataset, table).replace(":towns", literal).replace(":ntowns", str(len(towns)))
            await conn.execute(sql)
            counts[dataset.table] = await conn.fetchval(f"SELECT count(*) FROM {dataset.table}")
        await conn.execute("VACUUM ANALYZE")
        return counts
    finally:
        await conn.close()
