"""Screening across households: duplicate registrations and proactive discovery."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.errors import Unprocessable
from app.core.pagination import Page, PageParams
from app.recipient import capabilities, deaths, discovery, people
from app.recipient.filters import DiscoveryFilter
from app.recipient.models import Household, Member
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


@dataclass(frozen=True, slots=True)
class DiscoveryRule:
    """A discovery rule another package contributes, registered from the app factory.

    ``find`` gets a batch of people (members of active households in scope) and the day, and
    answers ``{member id: reason}`` for those the rule finds."""

    code: str
    title: str
    find: Callable[[AsyncSession, Sequence[people.Person], date], Awaitable[dict[uuid.UUID, str]]]


_registered: dict[str, DiscoveryRule] = {}


def register_rule(rule: DiscoveryRule) -> None:
    if rule.code in discovery.RULE_CODES:
        raise ValueError(f"discovery rule {rule.code!r} is built in")
    _registered[rule.code] = rule


def rule_titles() -> dict[str, str]:
    """Every discovery rule, built in and registered: code → title."""
    return {**{r.code: r.title for r in discovery.RULES}, **{r.code: r.title for r in _registered.values()}}


def check_rule(rule: str | None, loc: tuple[str, ...] = ("query", "rule")) -> None:
    if rule is not None and rule not in rule_titles():
        raise Unprocessable.at(loc, f"unknown discovery rule; one of {', '.join(rule_titles())}")


@dataclass(frozen=True, slots=True)
class Hit:
    member: Member
    household: Household
    rule: str
    index: int
    reason: str


async def _registered_hits(
    session: AsyncSession, batch: list[tuple[Member, Household]], rule: str | None, today: date
) -> dict[uuid.UUID, list[tuple[str, int, str]]]:
    """``{member id: [(rule, rule index, reason)]}`` from the registered rules (after the
    built-in ones in rule order, in the order they were registered)."""
    indexed = [
        (len(discovery.RULE_CODES) + i, r)
        for i, r in enumerate(_registered.values())
        if rule is None or r.code == rule
    ]
    if not indexed:
        return {}
    found = await people.people_by_member(session, [m.id for m, _h in batch])
    out: dict[uuid.UUID, list[tuple[str, int, str]]] = {}
    for index, registered in indexed:
        for member_id, reason in (await registered.find(session, found, today)).items():
            out.setdefault(member_id, []).append((registered.code, index, reason))
    return out


async def walk(
    session: AsyncSession,
    scope: str,
    today: date,
    *,
    rule: str | None = None,
    after: tuple[uuid.UUID, int] | None = None,
) -> AsyncIterator[Hit]:
    """Every rule hit in scope, in member order (then rule order), after ``after``."""
    repo = RecipientRepository(session)
    builtin = rule is None or rule in discovery.RULE_CODES
    async for streamed in repo.stream_members_for_discovery(scope):
        batch = [(m, h) for m, h in streamed if after is None or m.id >= after[0]]
        if not batch:
            continue
        hashes = [m.id_number_hash for m, _h in batch]
        latest = await capabilities.capabilities(session, hashes) if builtin else {}
        died = await deaths.died_on_by_hash(session, hashes) if builtin else {}
        held = await SubsidyRepository(session).approved_kinds([m.id for m, _h in batch]) if builtin else {}
        extra = await _registered_hits(session, batch, rule, today)
        for member, household in batch:
            found: list[tuple[str, int, str]] = []
            if builtin:
                level = latest.get(member.id_number_hash)
                listed = frozenset(s for s in member.subsidies.split(",") if s)
                facts = discovery.MemberFacts(
                    household_category=household.category,
                    household_status=household.status,
                    birth_date=member.birth_date,
                    disability_grade=member.disability_grade,
                    subsidies=listed | held.get(member.id, set()),
                    latest_level_code=level.level_code if level else None,
                    latest_assessed_on=level.assessed_on if level else None,
                    relation=member.relation,
                    household_members=household.member_count,
                    died_on=died.get(member.id_number_hash),
                    latest_next_due_on=level.next_due_on if level else None,
                    self_care_assessed_on=member.self_care_assessed_on,
                )
                found += [
                    (code, discovery.RULE_CODES.index(code), why)
                    for code, why in discovery.hits(facts, today)
                ]
            found += sorted(extra.get(member.id, []), key=lambda hit: hit[1])
            for code, index, reason in found:
                if rule and code != rule:
                    continue
                if after is not None and member.id == after[0] and index <= after[1]:
                    continue
                yield Hit(member, household, code, index, reason)


async def discoveries(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    filters: DiscoveryFilter,
    *,
    on: date | None = None,
) -> Page[Discovery]:
    """Rule hits in scope, in member order; the cursor is the last (member id, rule) served."""
    rule, region_code = filters.rule, filters.region_code
    check_rule(rule)
    today = on or clock.today()
    titles = rule_titles()
    after: tuple[uuid.UUID, int] | None = None
    if params.after:
        after = (uuid.UUID(str(params.after[0])), int(params.after[1]))
    scope = region_code if region_code and principal.covers(region_code) else principal.region
    found: list[Hit] = []
    async for hit in walk(session, scope, today, rule=rule, after=after):
        found.append(hit)
        if len(found) > params.limit:
            break
    shown = found[: params.limit]
    next_cursor = None
    if len(found) > params.limit and shown:
        next_cursor = params.codec.encode([str(shown[-1].member.id), shown[-1].index])
    items = [
        Discovery(
            rule=hit.rule,
            title=titles[hit.rule],
            household_id=hit.household.id,
            region_code=hit.household.region_code,
            member_id=hit.member.id,
            member_name=hit.member.name,
            id_number=hit.member.id_number_masked,
            reason=hit.reason,
        )
        for hit in shown
    ]
    return Page[Discovery](items=items, next_cursor=next_cursor)
