"""Address request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.validators import RegionCode

StatusName = Literal["active", "retired"]
Name = Annotated[str, Field(max_length=50)]
Number = Annotated[str, Field(max_length=20)]
Aliases = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)]
Longitude = Annotated[float, Field(ge=73.0, le=136.0, description="WGS 84 longitude, within China.")]
Latitude = Annotated[float, Field(ge=3.0, le=54.0, description="WGS 84 latitude, within China.")]
Text = Annotated[str, Field(min_length=1, max_length=500)]


def _both_or_neither(lon: float | None, lat: float | None) -> None:
    if (lon is None) != (lat is None):
        raise ValueError("give both lon and lat, or neither")


class AddressCreate(BaseModel):
    """Components are normalised on the way in: full-width to half-width, Chinese numerals to
    digits (三单元 → 3), 栋/号楼/座 → 幢; numbers are stored without their marker (号, 幢,
    单元, 层, 室)."""

    model_config = ConfigDict(extra="forbid")

    region_code: RegionCode = Field(description="Township, or community/village when known.")
    community: Name = Field(
        default="",
        description="Community or village. A village address (西山村3组12号) gives the village "
        "here, no road and no compound.",
    )
    village_group: Number = Field(default="", description="Village group (村民小组, 组/队).")
    road: Name = Field(default="", examples=["人民路"])
    compound: Name = Field(default="", examples=["凤凰小区"])
    house_number: Number = Field(default="", examples=["123"])
    building: Number = Field(default="", examples=["3"])
    unit: Number = Field(default="", examples=["2"])
    floor: Number = ""
    room: Number = Field(default="", examples=["301"])
    aliases: Aliases = Field(default_factory=list)
    lon: Longitude | None = None
    lat: Latitude | None = None

    @model_validator(mode="after")
    def _coordinates(self) -> AddressCreate:
        _both_or_neither(self.lon, self.lat)
        return self


class AddressUpdate(BaseModel):
    """Corrections keep the address code; the region cannot change (retire the address and
    create its successor instead)."""

    model_config = ConfigDict(extra="forbid")

    community: Name | None = None
    village_group: Number | None = None
    road: Name | None = None
    compound: Name | None = None
    house_number: Number | None = None
    building: Number | None = None
    unit: Number | None = None
    floor: Number | None = None
    room: Number | None = None
    aliases: Aliases | None = None
    lon: Longitude | None = None
    lat: Latitude | None = None


class RetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    successor_id: uuid.UUID | None = None


class RegionStep(BaseModel):
    code: str
    name: str
    level: str


class AddressRead(BaseModel):
    id: uuid.UUID
    version: int
    address_code: str
    plate_code: str
    region_code: str
    region_path: list[RegionStep]
    full_name: str
    community: str
    village_group: str
    road: str
    compound: str
    house_number: str
    building: str
    unit: str
    floor: str
    room: str
    aliases: list[str]
    lon: float | None
    lat: float | None
    status: str
    successor_id: uuid.UUID | None
    origin: str
    created_at: datetime
    updated_at: datetime


class AddressSummary(BaseModel):
    id: uuid.UUID
    address_code: str
    plate_code: str
    region_code: str
    full_name: str
    status: str


class ParseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text = Field(examples=["湖州吴兴月河人民路１２３号凤凰小区3栋二单元301室 电话13812345678"])


class ParsedComponent(BaseModel):
    value: str
    confidence: float = Field(ge=0, le=1)


class ParsedComponents(BaseModel):
    province: ParsedComponent | None = None
    city: ParsedComponent | None = None
    county: ParsedComponent | None = None
    township: ParsedComponent | None = None
    region_code: ParsedComponent | None = None
    community: ParsedComponent | None = None
    village_group: ParsedComponent | None = None
    road: ParsedComponent | None = None
    house_number: ParsedComponent | None = None
    compound: ParsedComponent | None = None
    building: ParsedComponent | None = None
    unit: ParsedComponent | None = None
    floor: ParsedComponent | None = None
    room: ParsedComponent | None = None


class ParseResult(BaseModel):
    """The text itself is not echoed: it may hold phone numbers and names."""

    normalized: str = Field(description="The text without noise, in canonical spelling.")
    components: ParsedComponents
    unparsed: str = Field(description="What was left over after reading the components.")
    removed: list[str] = Field(
        description="Kinds of noise removed: phone, name, label, direction, aside, latin (Latin "
        "words: place names read as Chinese, the rest dropped)."
    )


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text
    limit: Annotated[int, Field(ge=1, le=20)] = 5


class MatchBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texts: Annotated[list[Text], Field(min_length=1, max_length=1000)]
    limit: Annotated[int, Field(ge=1, le=20)] = 1


MatchKind = Literal["exact", "component", "fuzzy"]


class MatchCandidate(BaseModel):
    address: AddressSummary
    score: float = Field(ge=0, le=1, description="Weighted share of agreeing components.")
    match_kind: MatchKind = Field(
        description="exact: every component the text gives is the address's own, the address "
        "has no component the text lacks, and no other address fits as well; component: the "
        "place names agree as written (or as a known other name) but some numbers differ or are "
        "missing on either side, or the text fits several addresses equally (tied); fuzzy: a "
        "place name agrees only by similarity (a wrong or homophone character)."
    )
    confidence: float = Field(
        ge=0,
        le=1,
        description="How sure the match is: the score, held below the threshold when a house "
        "number, building, unit or room the text gives differs from the address's, and held at "
        "0.7 for every candidate when the text is ambiguous.",
    )
    agreed: list[str] = Field(description="Components on which the text and the address agree.")
    differed: list[str] = Field(description="Components the text gives that the address does not share.")
    tied: bool = Field(
        default=False,
        description="One of several addresses that fit the text equally well (see ambiguous).",
    )


class MatchResult(BaseModel):
    """One per text, in the order given."""

    parsed: ParseResult
    matched: bool = Field(
        description="Whether the first candidate reaches the confidence threshold (0.8). False "
        "when nothing does: the address the text names may not be in the register, or the text "
        "is ambiguous."
    )
    ambiguous: bool = Field(
        default=False,
        description="The text fits two or more addresses equally well (the same road and house "
        "number in different townships, and the text names no township): none of them is "
        "answered (matched false, no exact candidate) and every tied one is listed first, "
        "marked tied, even beyond limit (up to 20).",
    )
    candidates: list[MatchCandidate]


class MatchBatchResult(BaseModel):
    results: list[MatchResult]


class AddressImportRejection(BaseModel):
    line: int
    reason: str


class AddressImportReport(BaseModel):
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    rejections: list[AddressImportRejection] = Field(
        description="Rejected rows with their line and reason (the first 1,000)."
    )
