"""Indicator request and response bodies. Figures are decimal strings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from app.core.validators import RegionCode
from app.indicator.computed import computation
from app.indicator.figures import Figure
from app.indicator.period import PERIOD_PATTERN
from app.indicator.rollup import Aggregation
from app.indicator.status import Comparator, Status

CODE_PATTERN = r"^[a-z][a-z0-9_]{1,59}$"
RESERVED_CODES = frozenset({"dashboard"})
Depth = Literal["county", "township", "village"]
DashboardOrder = Literal["lag", "shortfall"]
ForecastOrder = Literal["tree", "shortfall"]
Method = Literal["linear", "carried"]
Source = Literal["report", "computed", "children"]

IndicatorCode = Annotated[str, Field(pattern=CODE_PATTERN, examples=["cognitive_care_beds_new"])]
PeriodText = Annotated[str, Field(pattern=PERIOD_PATTERN, examples=["2022"])]
Domain = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", examples=["elderly"])]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Unit = Annotated[str, Field(min_length=1, max_length=40, examples=["beds"])]
Scale = Annotated[int, Field(ge=1, le=1_000_000, description="Multiplier of a ratio (100 for %).")]
Clause = Annotated[str, Field(max_length=20, examples=["6"])]
ComputedBy = Annotated[str, Field(pattern=CODE_PATTERN, examples=["dibao_annual_standard"])]


class IndicatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: IndicatorCode
    name_zh: Text200
    name_en: str = Field(default="", max_length=200)
    domain: Domain
    unit: Unit
    aggregation: Aggregation
    scale: Scale = 1
    comparator: Comparator = "gte"
    source_clause: Clause = ""
    computed_by: ComputedBy | None = None

    @field_validator("code")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_CODES:
            raise ValueError(f"{value} is reserved for a path of the API")
        return value

    @field_validator("name_zh")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name_zh must not be blank")
        return value


class IndicatorUpdate(BaseModel):
    """Every field but ``code`` and ``aggregation`` (reports depend on those) may change."""

    model_config = ConfigDict(extra="forbid")

    name_zh: Text200 | None = None
    name_en: str | None = Field(default=None, max_length=200)
    domain: Domain | None = None
    unit: Unit | None = None
    scale: Scale | None = None
    comparator: Comparator | None = None
    source_clause: Clause | None = None
    computed_by: ComputedBy | None = None


class IndicatorRead(BaseModel):
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    domain: str
    unit: str
    aggregation: str
    scale: int
    comparator: str
    source_clause: str
    computed_by: str | None
    computed: bool = Field(
        validation_alias=AliasChoices("computed", "computed_by"),
        description="True when computed_by names a computation this node has.",
    )
    region_code: str
    origin: str
    version: int
    updated_at: datetime

    @field_validator("computed", mode="before")
    @classmethod
    def _has_computation(cls, value: object) -> object:
        """From a row, ``computed`` is read off ``computed_by``: whether this node has it."""
        if value is None or isinstance(value, str):
            return computation(value) is not None
        return value


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: Figure


class TargetRead(BaseModel):
    id: uuid.UUID
    indicator_code: str
    period: str
    region_code: str
    region_name: str | None
    target: str
    children_target_sum: str | None = Field(
        description="Sum of the direct children's targets (sum indicators), beside this one."
    )
    children_with_target: int
    origin: str
    version: int
    updated_at: datetime


class ReportCreate(BaseModel):
    """``value`` for sum, min and none indicators; ``numerator`` and ``denominator`` for ratios."""

    model_config = ConfigDict(extra="forbid")

    region_code: RegionCode
    period: PeriodText
    as_of: date
    value: Figure | None = None
    numerator: Figure | None = None
    denominator: Figure | None = None
    note: str = Field(default="", max_length=200)


class ReportRead(BaseModel):
    id: uuid.UUID
    indicator_code: str
    region_code: str
    period: str
    as_of: date
    value: str | None
    numerator: str | None
    denominator: str | None
    note: str
    origin: str
    version: int
    created_at: datetime


class ProgressNode(BaseModel):
    region_code: str
    name: str
    level: str
    target: str | None
    target_inherited: bool = Field(description="The target is an enclosing region's (ratio, min).")
    children_target: str | None = Field(description="Sum of the children's targets (sum indicators).")
    actual: str | None
    numerator: str | None = None
    denominator: str | None = None
    completion_rate: str | None = Field(description="actual/target (target/actual for lte), 4 places.")
    status: Status
    source: Source | None
    reported_children: int = Field(description="Children whose figures make the actual (0: its own).")
    children: list[ProgressNode] = Field(default_factory=list)


class Progress(BaseModel):
    indicator: str
    name_zh: str
    aggregation: str
    comparator: str
    unit: str
    period: str
    as_of: date
    elapsed_share: str
    computed_by: str | None = Field(description="The computation used, or null when reports are used.")
    tree: ProgressNode


class StatusCounts(BaseModel):
    green: int = 0
    yellow: int = 0
    red: int = 0
    grey: int = 0


class DashboardItem(BaseModel):
    code: str
    name_zh: str
    name_en: str
    domain: str
    unit: str
    aggregation: str
    comparator: str
    target: str | None
    actual: str | None
    completion_rate: str | None
    status: Status
    source: Source | None
    reported_children: int = Field(description="Children whose figures make the actual (0: its own).")
    children: int = Field(description="Children of the region in the roll-up tree.")
    projected: str | None = Field(default=None, description="The value projected to the period's end.")
    will_meet: bool | None = Field(
        default=None, description="Whether the projection meets the target; null without either."
    )
    shortfall: str | None = Field(
        default=None, description="How far the projection falls short of the target (0 when met)."
    )
    shortfall_rate: str | None = Field(default=None, description="shortfall / target.")
    forecast_method: Method = Field(
        default="carried", description="linear (sum: the pace so far) or carried (the last value)."
    )


class RegionOutlook(BaseModel):
    region_code: str
    name: str
    level: str
    projected_misses: int = Field(description="Indicators projected to miss their target.")
    projected_meets: int
    no_forecast: int = Field(description="Indicators without a projection or a target here.")
    shortfall_rate_sum: str = Field(description="Sum of the misses' shortfall / target.")
    missing: list[str] = Field(description="Codes of the indicators projected to miss, worst first.")


class Dashboard(BaseModel):
    region_code: str
    name: str
    period: str
    as_of: date
    elapsed_share: str
    counts: StatusCounts
    items: list[DashboardItem] = Field(
        description="lag (default): most lagging first (red, yellow, grey, green); shortfall: "
        "projected misses first, the largest shortfall relative to the target first."
    )
    order: DashboardOrder = "lag"
    regions: list[RegionOutlook] = Field(
        default_factory=list,
        description="With order=shortfall: the region's children, most projected misses first.",
    )


class ForecastRegion(BaseModel):
    region_code: str
    name: str
    level: str
    parent_code: str | None
    target: str | None
    actual: str | None
    figure_as_of: date | None = Field(description="The day the region's own figure describes.")
    projected: str | None = Field(description="The value projected to the period's end.")
    will_meet: bool | None = Field(description="The projection meets the target; null without either.")
    method: Method
    shortfall: str | None = Field(description="Target minus projection (0 when met), in the unit.")
    shortfall_rate: str | None = Field(description="shortfall / target.")


class Forecast(BaseModel):
    indicator: str
    name_zh: str
    aggregation: str
    comparator: str
    unit: str
    period: str
    period_end: date
    as_of: date
    elapsed_share: str
    method: Method
    computed_by: str | None
    order: ForecastOrder
    regions: list[ForecastRegion] = Field(
        description="The region, then its children (tree order), or by projected shortfall."
    )
