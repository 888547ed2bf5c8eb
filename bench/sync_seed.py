"""The realistic mix the sync benchmark pulls: households with their members (ID and phone
numbers sealed with the county's keys, blind-indexed and masked as the app stores them),
workflow transitions, payments (with their runs), elderly capability assessments and standard
addresses — each written with its change-log row through the unit of work's bulk path, one
transaction per batch of households and everything that belongs to them."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, literal_column, select, text

from app.address.models import Address
from app.assessment.models import Assessment
from app.core.config import Settings
from app.core.db import Database
from app.core.ids import uuid7
from app.core.record import SyncRecord
from app.ledger.actor import Actor
from app.ledger.unit_of_work import UnitOfWork
from app.recipient.models import Household, Member, Payment, PaymentRun, Transition
from app.security.pii import PiiCipher, mask_id_number, mask_phone

TOWNSHIPS = ["330502001000", "330502002000", "330502003000", "330502100000"]
MONTH = "2026-11"

# Changes per household: the household, two members, one transition, one payment; an
# assessment and an address for every fourth household (22 changes per 4 households).
PER_FOUR = {
    "recipient_household": 4,
    "recipient_member": 8,
    "recipient_transition": 4,
    "payment": 4,
    "assessment": 1,
    "address": 1,
}
TABLES = ["payment_run", *PER_FOUR]
"""The tables the mix writes (the COPY baseline copies the same)."""

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ITEMS = [f"B.{d}.{i}" for d, n in ((1, 8), (2, 3), (3, 5), (4, 10)) for i in range(1, n + 1)]


def id_number(region: str, born: date, serial: int) -> str:
    """A well-formed resident ID number (GB 11643 check digit)."""
    body = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


@dataclass
class MixCounts:
    by_entity: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_entity.values())

    def add(self, entity: str, n: int) -> None:
        self.by_entity[entity] = self.by_entity.get(entity, 0) + n


def households_for(changes: int) -> int:
    """How many households make about ``changes`` changes (runs excluded), a multiple of 4."""
    return max(4, changes * 4 // sum(PER_FOUR.values()) // 4 * 4)


class _Batch:
    """Rows of every entity for ``n`` households starting at ``start``."""

    def __init__(self, pii: PiiCipher, rng: random.Random, start: int, n: int, runs: dict[str, str]) -> None:
        self.pii, self.rng = pii, rng
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in PER_FOUR}
        for k in range(start, start + n):
            self._household(k, runs)

    def _sealed(self, kind: str, value: str, mask: Callable[[str], str]) -> tuple[str, str, str]:
        return self.pii.encrypt(kind, value), self.pii.blind_index(kind, value), mask(value)

    def _household(self, k: int, runs: dict[str, str]) -> None:
        rng, township = self.rng, TOWNSHIPS[k % len(TOWNSHIPS)]
        hid, address_id = str(uuid7()), str(uuid7()) if k % 4 == 0 else None
        applied = date(2024, 1, 1) + timedelta(days=k % 600)
        road, number = f"测试路{k % 997}", str(k // 997 + 1)
        self.rows["recipient_household"].append(
            {
                "id": hid,
                "region_code": township,
                "category": "dibao",
                "status": "approved",
                "monthly_income_fen": k * 7 % 400_000,
                "member_count": 2,
                "head_name": f"户主{k}",
                "address_id": address_id,
                "address_text": f"吴兴区{road}{number}号",
                "applied_on": applied.isoformat(),
                "approved_on": (applied + timedelta(days=20)).isoformat(),
            }
        )
        member_ids = []
        for j, relation in enumerate(("head", "spouse")):
            born = date(1950, 1, 1) + timedelta(days=(k * 2 + j) % 20_000)
            enc, index, masked = self._sealed(
                "id_number", id_number("330502", born, k * 2 + j), mask_id_number
            )
            phone_enc, _, phone_masked = self._sealed("phone", f"13{rng.randrange(10**9):09d}", mask_phone)
            member_ids.append(str(uuid7()))
            self.rows["recipient_member"].append(
                {
                    "id": member_ids[-1],
                    "region_code": township,
                    "household_id": hid,
                    "name": f"成员{k}-{j}",
                    "relation": relation,
                    "id_number_enc": enc,
                    "id_number_hash": index,
                    "id_number_masked": masked,
                    "birth_date": born.isoformat(),
                    "sex": "male" if j == 0 else "female",
                    "phone_enc": phone_enc,
                    "phone_masked": phone_masked,
                    "subsidies": "",
                    "living_alone": False,
                    "parents_absent": False,
                }
            )
        self.rows["recipient_transition"].append(
            {
                "id": str(uuid7()),
                "region_code": township,
                "household_id": hid,
                "action": "approve",
                "from_status": "verified",
                "to_status": "approved",
                "reason": "符合低保条件",
                "actor_sub": "clerk",
                "actor_name": "经办人",
            }
        )
        self.rows["payment"].append(
            {
                "id": str(uuid7()),
                "region_code": township,
                "run_id": runs[township],
                "household_id": hid,
                "month": MONTH,
                "category": "dibao",
                "kind": "dibao",
                "amount_fen": 95_000 + k % 10_000,
                "member_count": 2,
            }
        )
        if k % 4:
            return
        born = date(1935, 1, 1) + timedelta(days=k % 9000)
        enc, index, masked = self._sealed("id_number", id_number("330502", born, k), mask_id_number)
        items = {code: rng.randrange(0, 4) for code in _ITEMS}
        self.rows["assessment"].append(
            {
                "id": str(uuid7()),
                "region_code": township,
                "subject_name": f"老人{k}",
                "id_number_enc": enc,
                "id_number_hash": index,
                "id_number_masked": masked,
                "birth_date": born.isoformat(),
                "sex": "female",
                "assessed_on": "2026-06-01",
                "assessor": "评估员",
                "standard": "GB/T 42195-2022",
                "items": items,
                "coma": False,
                "dementia": False,
                "psychiatric_disorder": False,
                "care_risk_events_30d": 0,
                "total_score": sum(items.values()),
                "dimension_scores": {"self_care": 20, "mobility": 12, "mental": 10, "perception": 8},
                "base_level": 1,
                "level": 1,
                "level_code": "L1",
                "adjustments": [],
                "next_due_on": "2027-06-01",
                "amendment_reason": "",
            }
        )
        self.rows["address"].append(
            {
                "id": address_id,
                "region_code": township,
                "address_code": f"{township}{k:018d}",
                "plate_code": f"P{k:019d}",
                "community": "测试社区",
                "road": road,
                "house_number": number,
                "aliases": [],
                "full_name": f"浙江省湖州市吴兴区{road}{number}号",
                "search_text": f"浙江省湖州市吴兴区{road}{number}号",
                "match_key": uuid.uuid5(uuid.NAMESPACE_URL, f"addr:{k}").hex,
                "status": "active",
            }
        )


def _source(table: str, columns: list[str], rows: list[dict[str, Any]]) -> Select[Any]:
    """The rows as a SELECT the bulk path reads (one JSON parameter, typed by the table)."""
    frm = text(f"jsonb_populate_recordset(NULL::{table}, CAST(:rows AS jsonb)) AS r").bindparams(
        rows=json.dumps(rows, ensure_ascii=False)
    )
    labels: list[Any] = [literal_column(f"r.{c}").label(c) for c in columns]
    query: Select[Any] = select(*labels).select_from(frm)
    return query


async def _bulk(uow: UnitOfWork, model: type[SyncRecord], rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    columns = list(rows[0])
    table = model.__table__.name  # type: ignore[attr-defined]
    return await uow.bulk_create(model, columns, _source(table, columns, rows), action="bench_seed")


MODELS: dict[str, type[SyncRecord]] = {
    "recipient_household": Household,
    "recipient_member": Member,
    "recipient_transition": Transition,
    "payment": Payment,
    "assessment": Assessment,
    "address": Address,
}


async def seed_mix(settings: Settings, changes: int, batch: int) -> MixCounts:
    """About ``changes`` changes of the mix, ``batch`` households per transaction."""
    db = Database(settings)
    pii = PiiCipher.from_settings(settings)
    actor = Actor.system("bench", settings.node_region)
    rng = random.Random(16)
    counts = MixCounts()
    households = households_for(changes)
    try:
        async with db.writer() as session, session.begin():
            uow = UnitOfWork(session, actor, node_region=settings.node_region)
            run_rows: list[dict[str, Any]] = [
                {"id": str(uuid7()), "region_code": t, "month": MONTH, "payment_count": 0, "total_fen": 0}
                for t in TOWNSHIPS
            ]
            counts.add("payment_run", await _bulk(uow, PaymentRun, run_rows))
        runs = {str(r["region_code"]): str(r["id"]) for r in run_rows}
        done = 0
        while done < households:
            n = min(batch, households - done)
            rows = _Batch(pii, rng, done, n, runs).rows
            async with db.writer() as session, session.begin():
                uow = UnitOfWork(session, actor, node_region=settings.node_region)
                for entity, model in MODELS.items():
                    counts.add(entity, await _bulk(uow, model, rows[entity]))
            done += n
            print(f"  seeded {counts.total} changes ({done}/{households} households)", flush=True)
    finally:
        await db.dispose()
    return counts
