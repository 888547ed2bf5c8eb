"""The filters of the trust list, read from the query string in one model (``schemas.py`` holds
the bodies) and passed whole from the router through the service to the repository."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.charity_trust.schemas import TrustStatus
from app.core.params import RegionFilter
from app.core.validators import Day, UsccFilter


class TrustFilter(BaseModel):
    """The filters of ``GET /charity-trusts`` (unknown parameters are ignored)."""

    region_code: RegionFilter = None
    status: TrustStatus | None = None
    trustee_uscc: UsccFilter | None = Field(default=None, description="A trustee's credit code")
    signed_from: Day | None = None
    signed_to: Day | None = None
    filed_from: Day | None = None
    filed_to: Day | None = None
    q: str | None = Field(
        default=None, min_length=1, max_length=100, description="Name or filing number contains"
    )
