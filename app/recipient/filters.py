"""The filters of the recipient lists, each read from the query string in one model (``schemas.py``
and ``payment_schemas.py`` hold the bodies) and passed whole from the router through the service
to the repository.

Unknown query parameters are ignored, as they always were. What a filter needs beyond the
request — the blind index of an ID number (the PII key) — the service computes and hands the
repository beside the model.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from app.core.params import RegionFilter
from app.core.validators import Day, IdNumberFilter
from app.recipient.payment_schemas import MONTH_PATTERN, PaymentKind
from app.recipient.schemas import Category, StatusName


class HouseholdFilter(BaseModel):
    """The filters of ``GET /recipients``."""

    region_code: RegionFilter = None
    category: Category | None = None
    status: StatusName | None = None
    q: str | None = Field(default=None, min_length=1, max_length=50, description="Member name contains")
    id_number: IdNumberFilter | None = Field(default=None, description="Exact ID number", repr=False)


class DiscoveryFilter(BaseModel):
    """The filters of ``GET /recipients/discoveries``. Whether ``rule`` names a rule is known
    only once every domain has registered its rules, so the service checks that."""

    rule: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]{0,59}$",
        description="A rule code: the built-in disability_living_subsidy_missing, "
        "disability_nursing_subsidy_missing, elderly_care_missing, elderly_assessment_missing, "
        "or one registered by another domain (visit_overdue); unknown codes are 422.",
    )
    region_code: RegionFilter = None


class PaymentFilter(BaseModel):
    """The filters of ``GET /payments``."""

    region_code: RegionFilter = None
    month: str | None = Field(default=None, pattern=MONTH_PATTERN, description="YYYY-MM")
    kind: PaymentKind | None = None
    run_id: uuid.UUID | None = None


class PaymentStatsFilter(BaseModel):
    """The filters of ``GET /payments/stats``."""

    region_code: RegionFilter = None
    month_from: str | None = Field(default=None, pattern=MONTH_PATTERN, description="YYYY-MM")
    month_to: str | None = Field(default=None, pattern=MONTH_PATTERN, description="YYYY-MM")


class DeathFilter(BaseModel):
    """The filters of ``GET /deaths``."""

    id_number: IdNumberFilter | None = Field(default=None, description="Exact ID number", repr=False)
    died_from: Day | None = None
    died_to: Day | None = None
