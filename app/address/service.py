"""The address register: create, read, correct, retire, list; parse and match free text."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.address import places
from app.address.allocation import issue_code, issue_plate
from app.address.codes import SegmentFull
from app.address.components import (
    NAME_FIELDS,
    NUMBER_FIELDS,
    STORED_FIELDS,
    ComponentError,
    Components,
    full_name,
    match_key,
    normalize_aliases,
    normalize_components,
    search_text,
    with_changes,
)
from app.address.exceptions import AddressNotFound, AddressRetired, CodesExhausted, DuplicateAddress
from app.address.filters import AddressFilter
from app.address.matcher import Matcher, Ranked, is_ambiguous, is_matched
from app.address.models import Address
from app.address.names import touch as renew_place_names
from app.address.normalize import normalize_text
from app.address.parser import COMPONENTS, ParsedAddress, parse
from app.address.repository import AddressRepository
from app.address.schemas import (
    AddressCreate,
    AddressRead,
    AddressSummary,
    AddressUpdate,
    MatchCandidate,
    MatchResult,
    ParsedComponent,
    ParsedComponents,
    ParseResult,
    RegionStep,
    RetireIn,
)
from app.address.search import AddressSearch
from app.core.errors import Forbidden, Unprocessable
from app.core.pagination import Page, PageParams, build_page
from app.ledger.unit_of_work import UnitOfWork
from app.region import service as regions
from app.security.principal import Principal

ADDRESS_LEVELS = ("township", "village")


def shape(address: Address, path: Sequence[RegionStep]) -> AddressRead:
    """The row with its region path, which comes from the gazetteer, not the row; built field by
    field, as the list of the register does for every row of a page."""
    return AddressRead(
        id=address.id,
        version=address.version,
        address_code=address.address_code,
        plate_code=address.plate_code,
        region_code=address.region_code,
        region_path=list(path),
        full_name=address.full_name,
        community=address.community,
        village_group=address.village_group,
        road=address.road,
        compound=address.compound,
        house_number=address.house_number,
        building=address.building,
        unit=address.unit,
        floor=address.floor,
        room=address.room,
        aliases=list(address.aliases),
        lon=address.lon,
        lat=address.lat,
        status=address.status,
        successor_id=address.successor_id,
        origin=address.origin,
        created_at=address.created_at,
        updated_at=address.updated_at,
    )


def summary(address: Address) -> AddressSummary:
    return AddressSummary.model_validate(address, from_attributes=True)


async def read(session: AsyncSession, address: Address) -> AddressRead:
    path = await places.paths(session, [address.region_code])
    return shape(address, path[address.region_code])


async def check_region(session: AsyncSession, principal: Principal, region_code: str) -> None:
    if not principal.covers(region_code):
        raise Forbidden(f"region {region_code} lies outside your scope")
    await regions.require_region(session, region_code, levels=ADDRESS_LEVELS)


def components_of(values: dict[str, str | None], loc: tuple[str, ...] = ("body",)) -> Components:
    try:
        return normalize_components(values)
    except ComponentError as exc:
        raise Unprocessable.at((*loc, exc.field), exc.msg) from None


async def add(
    uow: UnitOfWork,
    region_code: str,
    parts: Components,
    aliases: list[str],
    lon: float | None,
    lat: float | None,
    *,
    audit_event: bool = True,
    region_names: list[str] | None = None,
    known_new: bool = False,
) -> Address:
    """Insert one new address (the region is checked by the caller): 409 when it exists.

    An import passes the region's names it already has, and ``known_new`` when it has just
    looked the address up itself.
    """
    repo = AddressRepository(uow.session)
    await repo.lock_region(region_code)
    key = match_key(region_code, parts)
    existing = None if known_new else await repo.by_match_key(key)
    if existing is not None:
        raise DuplicateAddress(existing.id, existing.address_code, existing.full_name)
    if region_names is None:
        region_names = [step.name for step in (await places.paths(uow.session, [region_code]))[region_code]]
    name = full_name(region_names, parts)
    try:
        code = await issue_code(repo, region_code, parts)
    except SegmentFull as exc:
        raise CodesExhausted(str(exc)) from None
    address = Address(
        region_code=region_code,
        address_code=code,
        plate_code=await issue_plate(repo),
        community=parts.community,
        village=parts.village,
        village_group=parts.village_group,
        road=parts.road,
        compound=parts.compound,
        house_number=parts.house_number,
        building=parts.building,
        unit=parts.unit,
        floor=parts.floor,
        room=parts.room,
        aliases=aliases,
        full_name=name,
        search_text=search_text(name, aliases),
        match_key=key,
        lon=lon,
        lat=lat,
    )
    await uow.create(address, audit_event=audit_event, details={"address_code": code})
    renew_place_names()
    return address


async def create(uow: UnitOfWork, principal: Principal, data: AddressCreate) -> AddressRead:
    await check_region(uow.session, principal, data.region_code)
    parts = components_of(data.model_dump())
    address = await add(uow, data.region_code, parts, normalize_aliases(data.aliases), data.lon, data.lat)
    return await read(uow.session, address)


async def get(session: AsyncSession, principal: Principal, address_id: uuid.UUID) -> AddressRead:
    address = await AddressRepository(session).get(address_id, principal.region)
    if address is None:
        raise AddressNotFound(address_id)
    return await read(session, address)


async def _writable(
    uow: UnitOfWork, principal: Principal, address_id: uuid.UUID, expected: int | None
) -> Address:
    address = await AddressRepository(uow.session).get(address_id, principal.region, for_update=True)
    if address is None:
        raise AddressNotFound(address_id)
    uow.check_writable(address)
    uow.check_version(address, expected)
    if address.status == "retired":
        raise AddressRetired(address_id)
    return address


def _current(address: Address) -> Components:
    return Components(**{name: getattr(address, name) for name in STORED_FIELDS})


async def update(
    uow: UnitOfWork, principal: Principal, address_id: uuid.UUID, data: AddressUpdate, expected: int
) -> AddressRead:
    address = await _writable(uow, principal, address_id, expected)
    given = data.model_dump(exclude_unset=True)
    wanted = {k: v or "" for k, v in given.items() if k in (*NAME_FIELDS, *NUMBER_FIELDS)}
    try:
        parts = with_changes(_current(address), wanted)
    except ComponentError as exc:
        raise Unprocessable.at(("body", exc.field), exc.msg) from None
    aliases = normalize_aliases(given["aliases"] or []) if "aliases" in given else list(address.aliases)
    lon = given.get("lon", address.lon)
    lat = given.get("lat", address.lat)
    if (lon is None) != (lat is None):
        raise Unprocessable.at(("body", "lat" if lat is None else "lon"), "give both lon and lat, or neither")
    repo = AddressRepository(uow.session)
    key = match_key(address.region_code, parts)
    if key != address.match_key:
        await repo.lock_region(address.region_code)
        existing = await repo.by_match_key(key)
        if existing is not None and existing.id != address.id:
            raise DuplicateAddress(existing.id, existing.address_code, existing.full_name)
    path = (await places.paths(uow.session, [address.region_code]))[address.region_code]
    name = full_name([step.name for step in path], parts)
    values: dict[str, object] = {
        **parts.as_dict(),
        "aliases": aliases,
        "lon": lon,
        "lat": lat,
        "full_name": name,
        "search_text": search_text(name, aliases),
        "match_key": key,
    }
    changed = [k for k, v in values.items() if getattr(address, k) != v]
    for column in changed:
        setattr(address, column, values[column])
    await uow.update(address, expected_version=expected, changed=changed)
    renew_place_names()
    return shape(address, path)


async def apply_changes(uow: UnitOfWork, address: Address, changes: dict[str, object]) -> None:
    """Aliases and coordinates from an import row (no audit event of its own: the import
    writes one)."""
    for column, value in changes.items():
        setattr(address, column, value)
    changed = list(changes)
    if "aliases" in changes:
        address.search_text = search_text(address.full_name, address.aliases)
        changed.append("search_text")
    await uow.update(address, expected_version=None, changed=changed, audit_event=False)


async def retire(
    uow: UnitOfWork, principal: Principal, address_id: uuid.UUID, data: RetireIn, expected: int | None
) -> AddressRead:
    address = await _writable(uow, principal, address_id, expected)
    if data.successor_id is not None:
        loc = ("body", "successor_id")
        if data.successor_id == address.id:
            raise Unprocessable.at(loc, "an address cannot succeed itself")
        successor = await AddressRepository(uow.session).get(data.successor_id, principal.region)
        if successor is None or successor.status != "active":
            raise Unprocessable.at(loc, "the successor must be an active address in your scope")
    address.status = "retired"
    address.successor_id = data.successor_id
    await uow.update(
        address,
        expected_version=expected,
        changed=["status", "successor_id"],
        action="address.retire",
        details={"successor_id": str(data.successor_id) if data.successor_id else None},
    )
    renew_place_names()
    return await read(uow.session, address)


async def list_addresses(
    session: AsyncSession, principal: Principal, params: PageParams, filters: AddressFilter
) -> Page[AddressRead]:
    """``q`` is split on spaces; every part, normalised like the register, must occur in the
    full name or an alias. A ``q``, ``road`` or ``compound`` with nothing left after
    normalisation (punctuation only, such as ``%``) matches nothing, not everything."""
    q = filters.q
    terms = [t for t in (normalize_text(part) for part in (q or "").split()) if t]
    if (q and q.strip() and not terms) or "" in (filters.road, filters.compound):
        return Page[AddressRead](items=[], total=0 if params.count else None)
    rows, total = await AddressSearch(session).page(principal.region, params, filters, terms=terms)
    shown = rows[: params.limit]
    path_of = await places.paths(session, [a.region_code for a in shown])
    return build_page(rows, params, lambda a: [a.id], lambda a: shape(a, path_of[a.region_code]), total)


def parse_result(parsed: ParsedAddress) -> ParseResult:
    parts = {
        name: ParsedComponent(value=c.value, confidence=c.confidence)
        for name in COMPONENTS
        if (c := parsed.components.get(name)) is not None
    }
    return ParseResult(
        normalized=parsed.normalized,
        components=ParsedComponents(**parts),
        unparsed=parsed.unparsed,
        removed=sorted(set(parsed.removed)),
    )


async def parse_text(session: AsyncSession, node_region: str, text: str) -> ParseResult:
    return parse_result(parse(text, await places.gazetteer(session, node_region)))


def _candidate(ranked: Ranked) -> MatchCandidate:
    return MatchCandidate(
        address=summary(ranked.address),
        score=ranked.score.value,
        match_kind=ranked.kind,
        confidence=round(ranked.confidence, 4),
        agreed=ranked.score.agreed,
        differed=ranked.score.differed,
        tied=ranked.tied,
    )


async def match(
    session: AsyncSession, principal: Principal, node_region: str, texts: Sequence[str], limit: int
) -> list[MatchResult]:
    matcher = Matcher(session, await places.gazetteer(session, node_region), principal.region)
    out: list[MatchResult] = []
    for text in texts:
        parsed, ranked = await matcher.match(text, limit)
        out.append(
            MatchResult(
                parsed=parse_result(parsed),
                matched=is_matched(ranked),
                ambiguous=is_ambiguous(ranked),
                candidates=[_candidate(r) for r in ranked],
            )
        )
    return out


async def plate_of(session: AsyncSession, principal: Principal, address_id: uuid.UUID) -> AddressSummary:
    """The address a plate is printed for (inside the caller's scope)."""
    address = await AddressRepository(session).get(address_id, principal.region)
    if address is None:
        raise AddressNotFound(address_id)
    return summary(address)


@dataclass(frozen=True, slots=True)
class PublicView:
    """What the open plate page shows: the standard address and nothing about people."""

    full_name: str
    path: list[RegionStep]
    plate_code: str
    address_code: str
    status: str
    successor_name: str | None
    successor_plate: str | None


async def public_view(session: AsyncSession, plate_code: str) -> PublicView | None:
    repo = AddressRepository(session)
    address = await repo.by_plate(plate_code)
    if address is None:
        return None
    successor = None
    if address.successor_id is not None:
        found = await repo.get_many([address.successor_id])
        successor = found[0] if found else None
    path = (await places.paths(session, [address.region_code]))[address.region_code]
    return PublicView(
        full_name=address.full_name,
        path=path,
        plate_code=address.plate_code,
        address_code=address.address_code,
        status=address.status,
        successor_name=successor.full_name if successor else None,
        successor_plate=successor.plate_code if successor else None,
    )
