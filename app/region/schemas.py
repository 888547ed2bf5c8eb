"""Region request and response bodies."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.validators import RegionCode

Level = Literal["province", "city", "county", "township", "village"]


class RegionRef(BaseModel):
    code: str
    name: str
    level: str


class RegionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    version: int


class RegionDetail(RegionRead):
    ancestors: list[RegionRef]
    children: list[RegionRef]


class RegionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: RegionCode
    name: str = Field(min_length=1, max_length=100)
    valid_from: date | None = None
    valid_to: date | None = None


class RegionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    valid_from: date | None = None
    valid_to: date | None = None
