"""Screening across households: duplicate registrations and proactive discovery."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.pagination import Page, PageParams
from app.recipient import deaths, discovery, ports
from app.recipient.repository import RecipientRepository
from app.recipient.schemas import Discovery, DuplicateMember
from app.recipient.subsidy_repository import SubsidyRepository
from app.security.principal import Principal


async def duplicates(
    session: AsyncSession, principal: Principal, params: PageParams
) -> Page[DuplicateMember]:
    repo = RecipientRepository(session)
    hashes = await repo.duplicate_hashes(principal.region, params)
    shown = hashes[: params.limit]
    items = []
    for digest in shown:
        holders = await repo.holders_of(digest, principal.region)
        items.append(
            DuplicateMember(
                id_number=holders[0][0].id_number_masked,
                households=[h.id for _m, h in holders],
                regions=sorted({h.region_code for _m, h in holders}),
            )
        )
    next_cursor = params.codec.encode([shown[-1]]) if len(hashes) > params.limit and shown else None
    return Page[DuplicateMember](items=items, next_cursor=next_cursor)


async def discoveries(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    rule: str | None = None,
    region_code: str | None = None,
    on: date | None = None,
) -> Page[Discovery]:
    """Rule hits in scope, in member order; the cursor is the last (member id, rule) served."""
    today = on or clock.today()
    titles = {r.code: r.title for r in discovery.RULES}
    after_member: uuid.UUID | None = None
    after_rule = -1
    if params.after:
        after_member, after_rule = uuid.UUID(str(params.after[0])), int(params.after[1])
    found: list[tuple[Discovery, int]] = []
    scope = region_code if region_code and principal.covers(region_code) else principal.region
    repo = RecipientRepository(session)
    async for batch in repo.stream_members_for_discovery(scope):
        hashes = [m.id_number_hash for m, _h in batch]
        latest = await ports.capabilities(session, hashes)
        died = await deaths.died_on_by_hash(session, hashes)
        held = await SubsidyRepository(session).approved_kinds([m.id for m, _h in batch])
        for member, household in batch:
            if after_member is not None and member.id < after_member:
                continue
            level = latest.get(member.id_number_hash)
            facts = discovery.MemberFacts(
                household_category=household.category,
                household_status=household.status,
                birth_date=member.birth_date,
                disability_grade=member.disability_grade,
                subsidies=frozenset(s for s in member.subsidies.split(",") if s) | held.get(member.id, set()),
                latest_level_code=level.level_code if level else None,
                latest_assessed_on=level.assessed_on if level else None,
                relation=member.relation,
                household_members=household.member_count,
                died_on=died.get(member.id_number_hash),
                latest_next_due_on=level.next_due_on if level else None,
            )
            for code, reason in discovery.hits(facts, today):
                index = discovery.RULE_CODES.index(code)
                if rule and code != rule:
                    continue
                if member.id == after_member and index <= after_rule:
                    continue
                found.append(
                    (
                        Discovery(
                            rule=code,
                            title=titles[code],
                            household_id=household.id,
                            region_code=household.region_code,
                            member_id=member.id,
                            member_name=member.name,
                            id_number=member.id_number_masked,
                            reason=reason,
                        ),
                        index,
                    )
                )
                if len(found) > params.limit:
                    break
            if len(found) > params.limit:
                break
        if len(found) > params.limit:
            break
    shown = found[: params.limit]
    next_cursor = None
    if len(found) > params.limit and shown:
        last, index = shown[-1]
        next_cursor = params.codec.encode([str(last.member_id), index])
    return Page[Discovery](items=[d for d, _i in shown], next_cursor=next_cursor)
