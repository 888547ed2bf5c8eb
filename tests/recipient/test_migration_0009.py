"""Migration 0009 on data written before it: payments become dibao payments, repeated runs
merge into the earliest, stacked capability levels are recomputed — and back again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.assessment.models import Assessment
from app.core.migrations import downgrade, upgrade
from app.recipient.models import Household, PaymentRun

OLD_PAYMENT = sa.Table(
    "payment",
    sa.MetaData(),
    *[
        sa.Column(name, type_)
        for name, type_ in (
            ("id", sa.Uuid()),
            ("region_code", sa.String(12)),
            ("origin", sa.String(12)),
            ("version", sa.Integer()),
            ("created_at", sa.DateTime(timezone=True)),
            ("updated_at", sa.DateTime(timezone=True)),
            ("updated_by", sa.String(200)),
            ("run_id", sa.Uuid()),
            ("household_id", sa.Uuid()),
            ("month", sa.String(7)),
            ("category", sa.String(20)),
            ("amount_fen", sa.BigInteger()),
            ("member_count", sa.Integer()),
        )
    ],
)
REGION = "330502001000"
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _sync(**extra: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "region_code": REGION,
        "origin": "330500000000",
        "version": 1,
        "created_at": T0,
        "updated_at": T0,
        "updated_by": "test",
        "deleted_at": None,
        **extra,
    }


def _assessment(base: int, level: int, code: str, **conditions: Any) -> dict[str, Any]:
    row = _sync(
        subject_name="王",
        id_number_enc="x",
        id_number_hash=uuid.uuid4().hex,
        id_number_masked="x",
        birth_date=date(1950, 1, 1),
        sex="female",
        assessed_on=date(2026, 1, 2),
        assessor="甲",
        standard="GB/T 42195-2022",
        items={},
        coma=False,
        dementia=False,
        psychiatric_disorder=False,
        care_risk_events_30d=0,
        total_score=70,
        dimension_scores={},
        base_level=base,
        level=level,
        level_code=code,
        adjustments=[],
        next_due_on=date(2027, 1, 2),
        amends=None,
        amendment_reason="",
        superseded_by=None,
    )
    return {**row, **conditions}


def _seed(conn: Connection) -> dict[str, Any]:
    households = [
        _sync(
            category="dibao",
            status="approved",
            monthly_income_fen=0,
            member_count=1,
            head_name="甲",
            address_id=None,
            address_text=None,
            applied_on=date(2026, 1, 1),
            approved_on=date(2026, 1, 1),
            last_reviewed_on=None,
            exited_on=None,
        )
        for _ in range(2)
    ]
    conn.execute(sa.insert(Household.__table__), households)  # type: ignore[attr-defined]
    runs = [_sync(month="2026-01", payment_count=1, total_fen=100000, skipped_count=0) for _ in range(2)]
    runs[1]["created_at"] = T0 + timedelta(hours=1)
    conn.execute(sa.insert(PaymentRun.__table__), runs)  # type: ignore[attr-defined]
    payments = [
        {
            **{k: v for k, v in _sync().items() if k != "deleted_at"},
            "run_id": run["id"],
            "household_id": house["id"],
            "month": "2026-01",
            "category": "dibao",
            "amount_fen": 100000,
            "member_count": 1,
        }
        for run, house in zip(runs, households, strict=True)
    ]
    conn.execute(sa.insert(OLD_PAYMENT), payments)
    stacked = _assessment(1, 3, "severe", dementia=True, care_risk_events_30d=2)
    single = _assessment(1, 2, "moderate", psychiatric_disorder=True)
    conn.execute(sa.insert(Assessment.__table__), [stacked, single])  # type: ignore[attr-defined]
    return {"runs": [r["id"] for r in runs], "assessments": [stacked["id"], single["id"]]}


def _read(conn: Connection, seeded: dict[str, Any]) -> dict[str, Any]:
    runs = {
        row.id: row
        for row in conn.execute(
            sa.text("SELECT id, deleted_at, payment_count, total_fen FROM payment_run")
        ).all()
    }
    payment_cols = [c["name"] for c in sa.inspect(conn).get_columns("payment")]
    kinds = (
        [r[0] for r in conn.execute(sa.text("SELECT kind FROM payment")).all()]
        if "kind" in payment_cols
        else []
    )
    levels: dict[Any, Any] = dict(
        conn.execute(sa.text("SELECT id, level || ':' || level_code FROM assessment")).all()
    )
    first, second = (uuid.UUID(str(i)) for i in seeded["runs"])

    def key(value: uuid.UUID) -> Any:
        return next(k for k in runs if uuid.UUID(str(k)) == value)

    return {
        "first": (
            runs[key(first)].deleted_at is None,
            runs[key(first)].payment_count,
            runs[key(first)].total_fen,
        ),
        "second_deleted": runs[key(second)].deleted_at is not None,
        "payment_runs": {str(r[0]) for r in conn.execute(sa.text("SELECT run_id FROM payment")).all()},
        "kinds": kinds,
        "levels": sorted(str(v) for v in levels.values()),
    }


async def test_0009_moves_existing_data_and_back(fresh_db: Callable[..., Any]) -> None:
    url = await fresh_db(migrate=False)
    await asyncio.to_thread(upgrade, url, "0008")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            seeded = await conn.run_sync(_seed)
        await asyncio.to_thread(upgrade, url, "0009")
        async with engine.connect() as conn:
            after = await conn.run_sync(lambda c: _read(c, seeded))
        assert after["first"] == (True, 2, 200000)
        assert after["second_deleted"] is True
        assert len(after["payment_runs"]) == 1
        assert after["kinds"] == ["dibao", "dibao"]
        assert after["levels"] == ["2:moderate", "2:moderate"]  # one raise for both conditions

        await asyncio.to_thread(downgrade, url, "0008")
        async with engine.connect() as conn:
            back = await conn.run_sync(lambda c: _read(c, seeded))
        assert back["levels"] == ["2:moderate", "3:severe"]
        assert back["kinds"] == []
        assert len(back["payment_runs"]) == 1
    finally:
        await engine.dispose()
