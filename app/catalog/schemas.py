"""Catalog bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class DatasetField(BaseModel):
    name: str
    type: str
    meaning: str
    personal: bool


class RegionCount(BaseModel):
    region_code: str
    name: str
    count: int


class OriginCount(BaseModel):
    origin: str
    count: int


class Replication(BaseModel):
    peer: str
    relation: str
    last_success_at: datetime | None
    lag_s: float | None
    last_error: str | None


class CatalogEntry(BaseModel):
    name: str
    title_zh: str
    title_en: str
    description: str
    kind: str
    owner: str
    origins: list[OriginCount]
    fields: list[DatasetField]
    region_code: str
    count: int
    children: list[RegionCount]
    last_changed_at: datetime | None
    sync: list[Replication]
