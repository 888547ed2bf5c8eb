"""The elderly profile endpoint: a reveal of one person across assessments and assistance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from app.assessment import service
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.core.validators import IdNumber
from app.elderly import profile
from app.elderly.schemas import ElderlyProfile
from app.security.dependencies import Pii, audit_reveal, check_reveal, require
from app.security.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["assessments"], responses=error_responses(401, 403))

Reader = Annotated[Principal, require("assessment:read")]
IdNumberPath = Annotated[IdNumber, Path(description="Resident ID number (shown in clear: audited)")]


@router.get(
    "/elderly/{id_number}/profile",
    name="elderly-profile",
    response_model=ElderlyProfile,
    responses=error_responses(404, 422),
)
async def elderly_profile(
    request: Request,
    id_number: IdNumberPath,
    session: ReadSession,
    principal: Reader,
    pii: Pii,
) -> ElderlyProfile:
    """One person's assessments, assistance household and benefits. The path carries a clear
    ID number, so this is a reveal: it needs `pii:reveal` and is written to the audit log."""
    check_reveal(principal)
    found = await profile.profile(session, principal, pii, id_number)
    await audit_reveal(request, principal, "elderly_profile", service.id_hash(pii, id_number))
    return found
