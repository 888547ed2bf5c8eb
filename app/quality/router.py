"""Quality endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.pagination import Page, Paging
from app.core.params import RegionQuery
from app.core.validators import Day, normalize_region_code
from app.quality import service
from app.quality.schemas import Finding, QualityReport, QualityScore
from app.security.dependencies import require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1/quality", tags=["quality"], responses=error_responses(401, 403))
Reader = Annotated[Principal, require("quality:read")]


def _region(value: str | None) -> str | None:
    return normalize_region_code(value) if value else None


@router.get("", name="quality-report", response_model=QualityReport, responses=error_responses(422))
async def quality_report(
    session: ReadSession, principal: Reader, region_code: RegionQuery = None, as_of: Day | None = None
) -> QualityReport:
    return await service.report(session, principal, region_code=_region(region_code), today=as_of)


@router.get("/score", name="quality-score", response_model=QualityScore, responses=error_responses(422))
async def quality_score(
    session: ReadSession, principal: Reader, region_code: RegionQuery = None, as_of: Day | None = None
) -> QualityScore:
    return await service.score(session, principal, region_code=_region(region_code), today=as_of)


@router.get(
    "/{rule}", name="quality-findings", response_model=Page[Finding], responses=error_responses(400, 404, 422)
)
async def quality_findings(
    rule: str,
    session: ReadSession,
    principal: Reader,
    paging: Paging,
    region_code: RegionQuery = None,
    as_of: Day | None = None,
) -> Page[Finding]:
    return await service.findings(
        session, principal, rule, paging, region_code=_region(region_code), today=as_of
    )
