"""Analytics response bodies (for the schema; answers are built as plain JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Number = int | float | str | None


class ValueLabel(BaseModel):
    value: str
    label_zh: str
    label_en: str


class MeasureInfo(BaseModel):
    name: str
    label_zh: str
    label_en: str
    type: Literal["count", "sum", "money", "mean", "share"] = Field(
        description="count/sum: integers; money: yuan strings; mean: 2 places; share: 0-1, 4 places."
    )


class DimensionInfo(BaseModel):
    name: str
    label_zh: str
    label_en: str
    kind: Literal["region", "time", "attribute"]
    values: list[ValueLabel] = Field(default_factory=list, description="Known values, where enumerated.")


class TimeInfo(BaseModel):
    column: str
    label_zh: str
    label_en: str


class CubeInfo(BaseModel):
    name: str
    label_zh: str
    label_en: str
    time: TimeInfo | None = Field(description="The date behind month, quarter, year, from and to.")
    measures: list[MeasureInfo]
    dimensions: list[DimensionInfo]


class CubeAnswer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    cube: str
    measures: list[str]
    by: list[str]
    region_code: str | None
    region_name: str | None
    from_: str | None = Field(alias="from")
    to: str | None
    columns: list[str] = Field(description="Keys of each row, in order.")
    rows: list[dict[str, Any]] = Field(
        description="One per group: each dimension's value (a region dimension also gives "
        "`<dimension>_name`), then each measure."
    )
    totals: dict[str, Number] = Field(description="Each measure over every row in scope.")


class Change(BaseModel):
    base: Number = Field(description="The value it is compared with.")
    change: Number = Field(description="value − base.")
    rate: float | None = Field(
        description="change / base (0.25 = +25 %); null when the base is 0 or missing."
    )


class TrendPoint(BaseModel):
    month: str
    value: Number
    mom: Change = Field(description="Against the previous month.")
    yoy: Change = Field(description="Against the same month a year earlier.")


class Trend(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    cube: str
    measure: str
    type: str
    label_zh: str
    label_en: str
    region_code: str | None
    region_name: str | None
    from_: str = Field(alias="from")
    to: str
    points: list[TrendPoint]
