"""The standard address table."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, Index, Text, false, text
from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord
from app.core.types import JSONDocument


class Address(SyncRecord, table=True):
    __tablename__ = "address"
    __table_args__ = (
        # Code allocation and exact look-ups walk the hierarchy.
        Index(
            "ix_address_hierarchy",
            "region_code",
            "road",
            "compound",
            "house_number",
            "building",
            "unit",
        ),
        Index("ix_address_road_number", "road", "house_number"),
        Index("ix_address_compound_building", "compound", "building"),
        # One live, active entry per address.
        Index(
            "uq_address_match_key",
            "match_key",
            unique=True,
            postgresql_where=text("status = 'active' AND deleted_at IS NULL"),
            sqlite_where=text("status = 'active' AND deleted_at IS NULL"),
        ),
        # Fuzzy search: a trigram GIN index on PostgreSQL. On SQLite the FTS5 table
        # address_fts (kept in step by triggers, see migration 0005) does this job, and this
        # declaration is a partial index that stays empty (WHERE 0).
        Index(
            "ix_address_search_fts",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=false(),
        ),
    )

    address_code: str = Field(max_length=30, unique=True)
    plate_code: str = Field(max_length=20, unique=True)
    community: str = Field(default="", max_length=50)
    village: str = Field(default="", max_length=50)
    village_group: str = Field(default="", max_length=20)
    road: str = Field(default="", max_length=50)
    compound: str = Field(default="", max_length=50)
    house_number: str = Field(default="", max_length=20)
    building: str = Field(default="", max_length=20)
    unit: str = Field(default="", max_length=20)
    floor: str = Field(default="", max_length=20)
    room: str = Field(default="", max_length=20)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSONDocument, nullable=False))
    full_name: str = Field(max_length=300)
    search_text: str = Field(sa_column=Column(Text, nullable=False))
    match_key: str = Field(max_length=32)
    lon: float | None = None
    lat: float | None = None
    status: str = Field(default="active", max_length=10)
    successor_id: uuid.UUID | None = Field(default=None)


class PlaceAlias(SyncRecord, table=True):
    """Another name of a region as addresses are written: a functional zone (南太湖新区,
    湖州开发区) or a former name (武康镇 for 武康街道). Reference data, owned by the parent."""

    __tablename__ = "place_alias"
    __table_args__ = (
        Index(
            "uq_place_alias_name",
            "name",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    name: str = Field(max_length=50)
    kind: str = Field(max_length=10)
    note: str = Field(default="", max_length=200)


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="address",
        model=Address,
        kind="business",
        title_zh="标准地名地址",
        title_en="Standard place-name addresses",
        description=(
            "The standard address register (一库一码): one entry per address, with its GB/T 39609 "
            "address code and the code of its digital house plate."
        ),
        field_notes={
            "region_code": "township or community/village the address lies in",
            "address_code": (
                "30-digit address code: region 12 + place 5 + house 4 + building 3 + unit 2 + room 4"
            ),
            "plate_code": "20-character random code of the digital house plate (QR code), 100 bits",
            "community": "community or village (社区/村)",
            "village": "the village, when it is the address's place (a village address has no road)",
            "village_group": "village group (村民小组, 组/队), without 组",
            "road": "road, street or lane (街路巷)",
            "compound": "residential compound (小区/院落)",
            "house_number": "house number (门牌号), without 号",
            "building": "building (幢), without 幢",
            "unit": "unit (单元)",
            "floor": "floor (层), when the room number does not carry it",
            "room": "room (室)",
            "aliases": "other names of the address (old names, local names), normalised",
            "full_name": "the whole standard address, province to room",
            "search_text": "full name and aliases, as the search index holds them",
            "match_key": "hash of region and components; equal for the same address",
            "lon": "longitude (WGS 84)",
            "lat": "latitude (WGS 84)",
            "status": "active or retired",
            "successor_id": "the address that replaces a retired one",
        },
        order=50,
    ),
    EntitySpec(
        name="place_alias",
        resource="region",
        model=PlaceAlias,
        kind="reference",
        title_zh="地名别称",
        title_en="Place-name aliases",
        description=(
            "Names addresses use for a region besides its official one: functional zones and "
            "former town names, each pointing at the region it stands for."
        ),
        field_notes={
            "region_code": "the region the name stands for",
            "name": "the other name, normalised (全角 → 半角)",
            "kind": "zone (functional zone) or former (a name before a reform)",
            "note": "where the name comes from",
        },
        order=15,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
