"""The region table."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord


class Region(SyncRecord, table=True):
    __tablename__ = "region"

    code: str = Field(max_length=12, unique=True)
    name: str = Field(max_length=100)
    level: str = Field(max_length=10, index=True)
    parent_code: str | None = Field(default=None, max_length=12, index=True)
    valid_from: date | None = None
    valid_to: date | None = None


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="region",
        resource="region",
        model=Region,
        kind="reference",
        title_zh="行政区划",
        title_en="Administrative regions",
        description="12-digit statistical division codes with their names, levels and validity.",
        field_notes={
            "code": "12-digit statistical region code",
            "name": "official name",
            "level": "province, city, county, township or village",
            "parent_code": "code of the enclosing region",
            "valid_from": "first day the code is in force",
            "valid_to": "last day the code is in force (null while current)",
        },
        order=10,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
