"""The filters of the care lists, each read from the query string in one model (``schemas.py``
holds the bodies) and passed whole from the router through the service to the repository.

Unknown query parameters are ignored, as they always were. What a filter needs beyond the
request — the blind index of an ID number (the PII key), today's date — the service computes
and hands the repository beside the model.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, Field

from app.care.taxonomy import NeedStatus, NeedType, ProviderKind, ReferralStatus, Source, Urgency
from app.care.visiting import RuleCode
from app.core.params import RegionFilter
from app.core.validators import Day, IdNumberFilter

IdNumberMatch = Annotated[
    IdNumberFilter | None, Field(description="Exact ID number (found by its blind index)", repr=False)
]
"""An ID number to find a person by (normalised; looked up by its blind index)."""


class NeedFilter(BaseModel):
    """The filters of ``GET /needs`` and its export."""

    region_code: RegionFilter = None
    type: NeedType | None = None
    status: NeedStatus | None = None
    urgency: Urgency | None = None
    source: Source | None = None
    id_number: IdNumberMatch = None
    overdue: bool | None = Field(
        default=None, description="true: needs whose active referral is overdue; false: the others"
    )


class ReferralFilter(BaseModel):
    """The filters of ``GET /referrals``."""

    region_code: RegionFilter = None
    status: ReferralStatus | None = None
    need_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None
    overdue: bool | None = None


class ResourceFilter(BaseModel):
    """The filters of ``GET /resources`` and its export."""

    region_code: RegionFilter = None
    serving: Annotated[
        RegionFilter,
        Field(description="Resources serving this region: its own and those of the regions containing it"),
    ] = None
    need_type: NeedType | None = None
    provider_kind: ProviderKind | None = None
    active: bool | None = None


class VisitFilter(BaseModel):
    """The filters of ``GET /visits``."""

    region_code: RegionFilter = None
    id_number: IdNumberMatch = None
    household_id: uuid.UUID | None = None
    visited_from: Day | None = None
    visited_to: Day | None = None


class DueVisitFilter(BaseModel):
    """The filters of ``GET /visits/due`` and its export."""

    region_code: RegionFilter = None
    within_days: int = Field(
        default=0, ge=0, le=366, description="Also list visits falling due within this many days from today."
    )
    rule: RuleCode | None = Field(default=None, description="Only people under this visit rule.")
    overdue: bool | None = Field(
        default=None, description="true: only overdue visits; false: only those not yet overdue"
    )
