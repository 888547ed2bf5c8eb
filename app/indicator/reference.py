"""The 32 indicators of the 2022 work plan and their targets for Huzhou, shipped with the
service and loaded idempotently at start (owned by the parent node in sync)."""

from __future__ import annotations

import csv
import uuid
from importlib import resources

from app.indicator.figures import figure_text, parse_figure
from app.indicator.models import Indicator, IndicatorTarget
from app.indicator.repository import IndicatorRepository, TargetRepository
from app.ledger.unit_of_work import SHIPPED_ORIGIN, UnitOfWork

_NAMESPACE = uuid.UUID("3b0f6c2e-94d1-4c57-b2a8-7e1d5f0a6c31")
SHIPPED_REGION = "330500000000"
SHIPPED_PERIOD = "2022"
# Indicators whose figure comes from live data rather than reports (see computed.py).
SHIPPED_COMPUTATIONS = {
    "dibao_annual_standard": "dibao_annual_standard",
    "charity_trust_scale": "charity_trust_scale",
    "assistance_service_items": "assistance_service_items",
    "visit_coverage": "visit_coverage",
    "referral_closure_rate": "referral_closure_rate",
}


def shipped_indicator_id(code: str) -> uuid.UUID:
    """The same id on every node, so the shipped rows of different nodes are one record."""
    return uuid.uuid5(_NAMESPACE, f"indicator:{code}")


def shipped_target_id(code: str, period: str, region_code: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"indicator_target:{code}:{period}:{region_code}")


def shipped_rows() -> list[dict[str, str]]:
    text = resources.files("app.indicator").joinpath("data/indicators-2022.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def definition(row: dict[str, str]) -> Indicator:
    return Indicator(
        id=shipped_indicator_id(row["code"]),
        code=row["code"],
        region_code=SHIPPED_REGION,
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        domain=row["domain"],
        unit=row["unit"],
        aggregation=row["aggregation"],
        scale=int(row["scale"] or 1),
        comparator=row["comparator"],
        source_clause=row["clause"],
        computed_by=SHIPPED_COMPUTATIONS.get(row["code"]),
    )


async def load_indicators(uow: UnitOfWork) -> int:
    """Insert the shipped definitions and 2022 targets the database lacks; returns how many."""
    rows = shipped_rows()
    have = await IndicatorRepository(uow.session).existing_codes()
    targeted = await TargetRepository(uow.session).codes_with_target(SHIPPED_PERIOD, SHIPPED_REGION)
    added = 0
    for row in rows:
        code = row["code"]
        if code not in have:
            await uow.create(definition(row), origin=SHIPPED_ORIGIN, audit_event=False)
            added += 1
        if code not in targeted:
            target = IndicatorTarget(
                id=shipped_target_id(code, SHIPPED_PERIOD, SHIPPED_REGION),
                indicator_code=code,
                period=SHIPPED_PERIOD,
                region_code=SHIPPED_REGION,
                target=figure_text(parse_figure(row["target"])),
            )
            await uow.create(target, origin=SHIPPED_ORIGIN, audit_event=False)
            added += 1
    if added:
        await uow.audit("reference.load", resource_type="indicator", details={"added": added})
    return added
