"""Quality bodies."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class RuleResult(BaseModel):
    rule: str
    dataset: str
    severity: str
    title_zh: str
    title_en: str
    description: str
    count: int
    sample: list[str]


class QualityReport(BaseModel):
    region_code: str
    as_of: date
    rules: list[RuleResult]


class Finding(BaseModel):
    key: str
    region_code: str
    detail: str


class RegionScore(BaseModel):
    region_code: str
    name: str
    total: int
    failing: int
    score: float | None


class DatasetScore(BaseModel):
    dataset: str
    regions: list[RegionScore]


class QualityScore(BaseModel):
    region_code: str
    as_of: date
    datasets: list[DatasetScore]
    ranking: list[RegionScore]
