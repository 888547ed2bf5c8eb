"""Death records (死亡信息): notices from civil registration, public security or funeral
services, matched to members by the blind index of the ID number."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, text
from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord


class DeathRecord(SyncRecord, table=True):
    __tablename__ = "death_record"
    # One live record per person: a second notice for the same ID number is a conflict.
    __table_args__ = (
        Index(
            "uq_death_record_id_number_hash",
            "id_number_hash",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id_number_enc: str = Field(max_length=200)
    id_number_hash: str = Field(max_length=64)
    id_number_masked: str = Field(max_length=18)
    died_on: date
    died_month: str = Field(max_length=7, description="YYYY-MM of died_on, for month comparisons in SQL")
    source: str = Field(max_length=100)
    note: str = Field(default="", max_length=200)


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="death_record",
        resource="recipient",
        model=DeathRecord,
        kind="business",
        title_zh="死亡信息",
        title_en="Death records",
        pii_fields=("id_number_enc",),
        description="Recorded deaths (civil registration, public security, funeral services); "
        "payments stop after the month of death.",
        field_notes={
            "id_number_enc": "resident ID number (encrypted)",
            "id_number_hash": "keyed blind index of the ID number",
            "id_number_masked": "masked ID number",
            "died_on": "date of death",
            "died_month": "month of death (YYYY-MM)",
            "source": "where the notice came from",
        },
        order=38,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
