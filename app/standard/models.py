"""The policy-standard table (reference data, owned by the parent node)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field

from app.core.record import EntitySpec, SyncRecord


class PolicyStandard(SyncRecord, table=True):
    __tablename__ = "policy_standard"
    __table_args__ = (Index("ix_policy_standard_lookup", "kind", "region_code", "effective_from"),)

    kind: str = Field(max_length=40)
    effective_from: date
    value: str = Field(max_length=24)
    note: str = Field(default="", max_length=200)


ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="policy_standard",
        resource="standard",
        model=PolicyStandard,
        kind="reference",
        title_zh="政策标准",
        title_en="Policy standards",
        description="Dated per-region values: dibao standard, dibao-edge multiple, subsidies.",
        field_notes={
            "kind": "dibao_annual, dibao_edge_multiple, orphan_care_annual, severe_disabled_elder_subsidy, "
            "tekun_basic_annual, tekun_care_{able,partial,full}_monthly, temporary_grant_cap, "
            "disability_living_monthly, disability_nursing_monthly",
            "effective_from": "first day the value applies",
            "value": "exact decimal (yuan for money kinds)",
        },
        order=20,
    ),
)
"""The entities of this module, registered by ``app.models.import_all_models``."""
