"""What the filing authority publishes on 慈善中国: the filing, its changes and annual reports,
with trustors' names only where they consented (organisations are always named) and no
contacts. Drafts are not published."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.charity_trust import parties
from app.charity_trust.exceptions import TrustNotFound
from app.charity_trust.published import (
    CharityTrustPublic,
    PublicAnnualReport,
    PublicChange,
    PublicTrustor,
    RegionName,
)
from app.charity_trust.repository import TrustRepository
from app.charity_trust.schemas import TermRead
from app.charity_trust.service import check_operation, supervisor_of
from app.region import service as regions
from app.security.principal import Principal


async def public(session: AsyncSession, principal: Principal, trust_id: uuid.UUID) -> CharityTrustPublic:
    repo = TrustRepository(session)
    trust = await repo.get(trust_id, principal.region)
    if trust is None:
        raise TrustNotFound(trust_id)
    check_operation("publish", trust.status)
    people = await repo.parties([trust.id])
    authority = await regions.names(session, [trust.region_code])
    return CharityTrustPublic(
        id=trust.id,
        name=trust.name,
        filing_authority=RegionName(code=trust.region_code, name=authority.get(trust.region_code, "")),
        filing_number=trust.filing_number,
        filed_on=trust.filed_on,
        purpose=trust.purpose,
        purpose_categories=list(trust.purpose_categories),
        trustors=[
            PublicTrustor(name=parties.public_name(p), kind=p.kind)
            for p in parties.of_role(people, "trustor")
        ],
        trustees=[parties.trustee_read(p) for p in parties.of_role(people, "trustee")],
        supervisor=supervisor_of(trust),
        custodian_bank=trust.custodian_bank,
        property_type=trust.property_type,
        initial_amount_fen=trust.initial_amount_fen,
        current_amount_fen=trust.current_amount_fen,
        signed_on=trust.signed_on,
        term=TermRead(perpetual=trust.perpetual, end_on=trust.end_on),
        status=trust.status,
        terminated_on=trust.terminated_on,
        termination_reason=trust.termination_reason,
        changes=[PublicChange.model_validate(c, from_attributes=True) for c in await repo.changes(trust.id)],
        annual_reports=[
            PublicAnnualReport.model_validate(r, from_attributes=True) for r in await repo.reports(trust.id)
        ],
    )
