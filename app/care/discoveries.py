"""Discoveries feed the register: hits of a discovery rule become needs someone owns, one per
person, rule and month; and the care loop's own discovery rule, ``visit_overdue``, registered
with the recipients' discoveries from the app factory."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from app.care import needs, roster
from app.care.repository import NeedRepository
from app.care.schemas import DiscoveryNeedsIn, DiscoveryNeedsRead
from app.core.clock import clock
from app.core.errors import Forbidden, NotFound
from app.ledger.unit_of_work import UnitOfWork
from app.recipient import port as recipients
from app.security.pii import PiiCipher
from app.security.principal import Principal

VISIT_OVERDUE = recipients.DiscoveryRule(
    code="visit_overdue",
    title="under a visit rule (探访关爱) and not visited by the due date",
    find=roster.overdue_reasons,
)
"""Registered with the recipients' discoveries by ``create_app``."""

RULE_NEED_TYPES = {
    "disability_living_subsidy_missing": "living",
    "disability_nursing_subsidy_missing": "care",
    "elderly_care_missing": "care",
    "elderly_assessment_missing": "care",
    "visit_overdue": "other",
}
"""The need a rule's hit usually stands for; any other rule's hits become ``other``."""


def key(rule: str, month: str, person_hash: str) -> str:
    return f"{rule}:{month}:{person_hash}"


async def create_needs(
    uow: UnitOfWork, principal: Principal, pii: PiiCipher, rule: str, data: DiscoveryNeedsIn
) -> tuple[int, DiscoveryNeedsRead]:
    """Needs (source ``discovery``) for the rule's hits in scope not yet turned into one this
    month; returns the HTTP status (201 when any was created, else 200) and the report."""
    if rule not in recipients.discovery_rules():
        raise NotFound(f"no discovery rule {rule}")
    if data.region_code is not None and not principal.covers(data.region_code):
        raise Forbidden(f"region {data.region_code} lies outside your scope")
    scope = data.region_code or principal.region
    today, month = clock.today(), clock.this_month()
    found = [hit async for hit in recipients.discovery_hits(uow.session, scope, rule, today)]
    wanted = {key(rule, month, hit.person.id_number_hash): hit for hit in found}
    existing = await NeedRepository(uow.session).existing_keys(list(wanted))
    created = []
    for discovery_key, hit in wanted.items():
        if discovery_key in existing:
            continue
        person = hit.person
        try:
            async with uow.session.begin_nested():
                need = await needs.record(
                    uow,
                    needs.NewNeed(
                        region_code=person.region_code,
                        person_name=person.name,
                        id_number_enc=person.id_number_enc,
                        id_number_hash=person.id_number_hash,
                        id_number_masked=person.id_number_masked,
                        birth_date=person.birth_date,
                        household_id=person.household_id,
                        type=data.type or RULE_NEED_TYPES.get(rule, "other"),
                        description=f"{hit.title}: {hit.reason}"[:1000],
                        urgency=data.urgency,
                        source="discovery",
                        discovery_rule=rule,
                        discovery_key=discovery_key,
                    ),
                )
        except IntegrityError:
            # A concurrent request turned the same hit into a need first.
            existing.add(discovery_key)
            continue
        created.append(need)
    await uow.audit(
        "care_need.from_discoveries",
        resource_type="care_need",
        details={
            "rule": rule,
            "month": month,
            "scope": scope,
            "created": len(created),
            "existing": len(existing),
        },
    )
    items = await needs.shape_many(uow.session, pii, created)
    report = DiscoveryNeedsRead(
        rule=rule, month=month, created=len(created), existing=len(existing), items=items
    )
    return (201 if created else 200), report
