"""Indicator tables: definitions and targets (reference data) and reports (business records)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord
from app.indicator.supersession import restitch


class Indicator(SyncRecord, table=True):
    __tablename__ = "indicator"

    code: str = Field(max_length=60, unique=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    domain: str = Field(max_length=40, index=True)
    unit: str = Field(max_length=40)
    aggregation: str = Field(max_length=10)
    scale: int = Field(default=1)
    comparator: str = Field(default="gte", max_length=4)
    source_clause: str = Field(default="", max_length=20)
    computed_by: str | None = Field(default=None, max_length=60)


class IndicatorTarget(SyncRecord, table=True):
    __tablename__ = "indicator_target"
    __table_args__ = (UniqueConstraint("indicator_code", "period", "region_code"),)

    indicator_code: str = Field(max_length=60)
    period: str = Field(max_length=7)
    target: str = Field(max_length=40)


class IndicatorReport(SyncRecord, table=True):
    __tablename__ = "indicator_report"
    __table_args__ = (
        Index("ix_indicator_report_lookup", "period", "indicator_code", "region_code", "as_of"),
    )

    indicator_code: str = Field(max_length=60)
    period: str = Field(max_length=7)
    as_of: date
    value: str | None = Field(default=None, max_length=40)
    numerator: str | None = Field(default=None, max_length=40)
    denominator: str | None = Field(default=None, max_length=40)
    note: str = Field(default="", max_length=200)
    superseded_on: date | None = Field(default=None)
    """The ``as_of`` of the next live report of the indicator, region and period; NULL while
    this is the newest (derived: :mod:`app.indicator.supersession`)."""


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="indicator",
        resource="indicator",
        model=Indicator,
        kind="reference",
        title_zh="任务指标",
        title_en="Task indicators",
        description="Quantified targets of the work plan and how each rolls up the region tree.",
        field_notes={
            "code": "stable snake_case key, unique (the natural key reports and targets use)",
            "name_zh": "name in Chinese, as in the plan",
            "name_en": "name in English",
            "domain": "business area: assistance, elderly, charity, community …",
            "unit": "unit of the figures: yuan/year, %, persons …",
            "aggregation": "sum, ratio (Σnumerator/Σdenominator × scale), min or none",
            "scale": "multiplier of a ratio: 100 for percentages, 10000 for per-10k rates",
            "comparator": "how the target is met: gte, gt, eq or lte (lower is better)",
            "source_clause": "clause of the 2022 work plan that sets the indicator",
            "computed_by": "name of the computation over live data used instead of reports",
            "region_code": "region of the node that owns the definition",
        },
        order=70,
    ),
    EntitySpec(
        name="indicator_target",
        resource="indicator",
        model=IndicatorTarget,
        kind="reference",
        title_zh="指标目标",
        title_en="Indicator targets",
        description="The target of an indicator for one region and period.",
        field_notes={
            "indicator_code": "the indicator's code",
            "period": 'year ("2022") or quarter ("2022Q3")',
            "target": "exact decimal, in the indicator's unit",
            "region_code": "region the target is set for",
        },
        order=71,
    ),
    EntitySpec(
        name="indicator_report",
        resource="indicator_report",
        model=IndicatorReport,
        kind="business",
        title_zh="指标进度上报",
        title_en="Indicator reports",
        description="Reported progress of an indicator in a region; every report is kept.",
        field_notes={
            "indicator_code": "the indicator's code",
            "period": 'year ("2022") or quarter ("2022Q3")',
            "as_of": "day the figure describes; the latest on or before a query date counts",
            "value": "exact decimal (sum, min and none indicators)",
            "numerator": "exact decimal numerator (ratio indicators)",
            "denominator": "exact decimal denominator (ratio indicators)",
            "note": "reporter's remark",
            "region_code": "region the figure is for",
            "superseded_on": (
                "as_of of the next report of the same indicator, region and period (empty while "
                "this is the latest); derived by each node from the reports it holds"
            ),
        },
        order=72,
        derive=restitch,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
