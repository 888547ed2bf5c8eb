"""Every query on recipients."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Row, Select, Table, bindparam, exists, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.core.db import Database, dialect_of, fetch_driver_row
from app.core.pagination import PageParams, keyset
from app.recipient.filters import HouseholdFilter
from app.recipient.models import Household, Member, Payment, PaymentRun, Transition
from app.recipient.workflow import ACTIVE_STATUSES
from app.security.scope import scope_filter, scope_pattern


def _live_household() -> Select[Household]:
    return select(Household).where(col(Household.deleted_at).is_(None))


# The two reads every household request makes, built once: constructing SQL expressions costs
# more than running these indexed look-ups.
_GET = _live_household().where(
    col(Household.id) == bindparam("household_id"), col(Household.region_code).like(bindparam("scope"))
)
_GET_FOR_UPDATE = _GET.with_for_update()
_MEMBERS = (
    select(Member)
    .where(
        col(Member.household_id).in_(bindparam("household_ids", expanding=True)),
        col(Member.deleted_at).is_(None),
    )
    .order_by(col(Member.household_id), col(Member.id))
)
_MEMBERS_FOR_UPDATE = _MEMBERS.with_for_update()

# Read-only views load plain rows (no ORM identity map or instance state): reads that only
# shape a response skip that bookkeeping.
_HOUSEHOLDS: Table = Household.__table__  # type: ignore[attr-defined]
_MEMBER_TABLE: Table = Member.__table__  # type: ignore[attr-defined]
_VIEW = select(_HOUSEHOLDS).where(
    _HOUSEHOLDS.c.id == bindparam("household_id"),
    _HOUSEHOLDS.c.deleted_at.is_(None),
    _HOUSEHOLDS.c.region_code.like(bindparam("scope")),
)


# What a response needs of a member (the ciphertexts only for an authorised reveal).
MEMBER_VIEW_COLUMNS = (
    "id",
    "household_id",
    "name",
    "relation",
    "id_number_enc",
    "id_number_masked",
    "phone_enc",
    "phone_masked",
    "sex",
    "birth_date",
    "disability_grade",
    "subsidies",
    "living_alone",
    "parents_absent",
    "self_care_assessed_on",
    "self_care_unable",
)
# PostgreSQL: a household's live members as one JSON array (in id order) beside the household
# row, so a read is one statement; SQLite reads the members with a second statement.
_MEMBER_PAIRS: list[ColumnElement[Any]] = []
for _name in MEMBER_VIEW_COLUMNS:
    _MEMBER_PAIRS += [literal_column(f"'{_name}'"), _MEMBER_TABLE.c[_name]]
_MEMBERS_JSON = (
    select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_object(*_MEMBER_PAIRS),
                    _MEMBER_TABLE.c.id,
                )
            ),
            literal_column("'[]'::json"),
        )
    )
    .where(_MEMBER_TABLE.c.household_id == _HOUSEHOLDS.c.id, _MEMBER_TABLE.c.deleted_at.is_(None))
    .scalar_subquery()
    .label("members")
)
_VIEW_WITH_MEMBERS = select(_HOUSEHOLDS, _MEMBERS_JSON).where(
    _HOUSEHOLDS.c.id == bindparam("household_id"),
    _HOUSEHOLDS.c.deleted_at.is_(None),
    _HOUSEHOLDS.c.region_code.like(bindparam("scope")),
)
VIEW_WITH_MEMBERS_SQL = str(_VIEW_WITH_MEMBERS.compile(dialect=PGDialect_asyncpg()))  # type: ignore[no-untyped-call]
"""The household-with-members read as PostgreSQL text, parameters ``$1`` the household id and
``$2`` the scope's LIKE pattern (the recipients benchmark's baseline runs the same text)."""
_MEMBER_VIEW_ROWS = (
    select(*[_MEMBER_TABLE.c[name] for name in MEMBER_VIEW_COLUMNS])
    .where(
        _MEMBER_TABLE.c.household_id.in_(bindparam("household_ids", expanding=True)),
        _MEMBER_TABLE.c.deleted_at.is_(None),
    )
    .order_by(_MEMBER_TABLE.c.household_id, _MEMBER_TABLE.c.id)
)


class HouseholdView(Protocol):
    """A household row by column name: a row's mapping, the driver's record, a dict."""

    def __getitem__(self, key: str, /) -> Any: ...


MemberView = dict[str, Any]
"""A member as a response needs it: the columns of ``MEMBER_VIEW_COLUMNS`` by name (on
PostgreSQL as JSON values: ids and dates as text)."""


def filtered_households(
    scope: str, f: HouseholdFilter, *, id_hash: str | None, with_members: bool = False
) -> Select[Any]:
    """Live households inside ``scope`` matching ``f``; ``id_hash`` is the blind index of
    ``f.id_number``; ``with_members`` adds each household's members as a JSON array
    (PostgreSQL only). The recipients benchmark's baseline runs the same statement."""
    columns = (_HOUSEHOLDS, _MEMBERS_JSON) if with_members else (_HOUSEHOLDS,)
    query = select(*columns).where(
        _HOUSEHOLDS.c.deleted_at.is_(None), scope_filter(_HOUSEHOLDS.c.region_code, scope)
    )
    if f.region_code:
        query = query.where(scope_filter(col(Household.region_code), f.region_code))
    if f.category:
        query = query.where(col(Household.category) == f.category)
    if f.status:
        query = query.where(col(Household.status) == f.status)
    if f.q:
        query = query.where(
            exists().where(
                col(Member.household_id) == col(Household.id),
                col(Member.deleted_at).is_(None),
                col(Member.name).contains(f.q, autoescape=True),
            )
        )
    if id_hash:
        query = query.where(
            exists().where(
                col(Member.household_id) == col(Household.id),
                col(Member.deleted_at).is_(None),
                col(Member.id_number_hash) == id_hash,
            )
        )
    return query


class RecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, household_id: uuid.UUID, scope: str, *, for_update: bool = False) -> Household | None:
        """A live household inside ``scope`` (the scope is part of the query)."""
        query = _GET_FOR_UPDATE if for_update else _GET
        params = {"household_id": household_id, "scope": scope_pattern(scope)}
        return (await self.session.execute(query, params)).scalar_one_or_none()

    async def view(self, household_id: uuid.UUID, scope: str) -> Row[Any] | None:
        """A live household inside ``scope`` as a read-only row."""
        params = {"household_id": household_id, "scope": scope_pattern(scope)}
        return (await self.session.execute(_VIEW, params)).first()

    async def view_with_members(
        self, household_id: uuid.UUID, scope: str
    ) -> tuple[HouseholdView, list[MemberView]] | None:
        """A live household inside ``scope`` with its live members (in id order), read-only:
        one statement on PostgreSQL, two on SQLite. For read sessions (on PostgreSQL the
        statement runs on the session's connection outside any transaction it may hold)."""
        if dialect_of(self.session) == "postgresql":
            # The statement compiled once, run by the driver (which prepares it once per
            # connection): no SQLAlchemy execution context, result or row objects per request.
            record = await fetch_driver_row(
                self.session, VIEW_WITH_MEMBERS_SQL, household_id, scope_pattern(scope)
            )
            return (record, record["members"]) if record is not None else None
        params = {"household_id": household_id, "scope": scope_pattern(scope)}
        row = (await self.session.execute(_VIEW, params)).first()
        if row is None:
            return None
        return row._mapping, (await self.member_view_groups([row.id])).get(row.id, [])

    @staticmethod
    async def household_view(
        db: Database, household_id: uuid.UUID, scope: str
    ) -> tuple[HouseholdView, list[MemberView]] | None:
        """:meth:`view_with_members` for a request that holds no session: on PostgreSQL the one
        statement on a pooled connection of its own, on SQLite in a read session."""
        if db.is_postgres:
            record = await db.driver_row(VIEW_WITH_MEMBERS_SQL, household_id, scope_pattern(scope))
            return (record, record["members"]) if record is not None else None
        async with db.reader() as session:
            return await RecipientRepository(session).view_with_members(household_id, scope)

    async def member_view_groups(
        self, household_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[MemberView]]:
        """Live members of the households (for SQLite; PostgreSQL reads them with the
        households), by household, each in id order."""
        groups: dict[uuid.UUID, list[MemberView]] = {}
        if not household_ids:
            return groups
        result = await self.session.execute(_MEMBER_VIEW_ROWS, {"household_ids": list(household_ids)})
        for member in result.mappings():
            groups.setdefault(member["household_id"], []).append(dict(member))
        return groups

    async def members(self, household_ids: Sequence[uuid.UUID], *, for_update: bool = False) -> list[Member]:
        if not household_ids:
            return []
        query = _MEMBERS_FOR_UPDATE if for_update else _MEMBERS
        return list(
            (await self.session.execute(query, {"household_ids": list(household_ids)})).scalars().all()
        )

    async def search(
        self,
        scope: str,
        params: PageParams,
        f: HouseholdFilter,
        *,
        id_hash: str | None,
    ) -> tuple[Sequence[Row[Any]], int | None]:
        """A page of live households inside ``scope`` matching ``f``, newest first (``id_hash``
        is the blind index of ``f.id_number``); on PostgreSQL each row also carries its members
        (``members``, as in :meth:`view_with_members`)."""
        with_members = dialect_of(self.session) == "postgresql"
        page = filtered_households(scope, f, id_hash=id_hash, with_members=with_members)
        # Core statements over tables: run on the session's connection, past the ORM's
        # execution layer (plain rows either way).
        connection = await self.session.connection()
        rows = (await connection.execute(keyset(page, [_HOUSEHOLDS.c.id], params, descending=True))).all()
        total = None
        if params.count:
            base = filtered_households(scope, f, id_hash=id_hash)
            total = int(
                (await connection.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
            )
        return rows, total

    async def active_holders(self, id_hashes: Sequence[str]) -> list[tuple[str, Household]]:
        """(ID hash, household) for active households on this node holding any of the IDs."""
        if not id_hashes:
            return []
        query = (
            select(col(Member.id_number_hash), Household)
            .join(Household, col(Household.id) == col(Member.household_id))
            .where(
                col(Member.id_number_hash).in_(id_hashes),
                col(Member.deleted_at).is_(None),
                col(Household.deleted_at).is_(None),
                col(Household.status).in_(ACTIVE_STATUSES),
            )
        )
        return [(str(h), hh) for h, hh in (await self.session.execute(query)).all()]

    async def transitions(self, household_id: uuid.UUID) -> Sequence[Transition]:
        query = (
            select(Transition)
            .where(col(Transition.household_id) == household_id, col(Transition.deleted_at).is_(None))
            .order_by(col(Transition.created_at), col(Transition.id))
        )
        return (await self.session.execute(query)).scalars().all()

    async def duplicate_hashes(self, scope: str, params: PageParams) -> Sequence[str]:
        """ID hashes held by more than one active household inside ``scope``."""
        query = (
            select(col(Member.id_number_hash))
            .join(Household, col(Household.id) == col(Member.household_id))
            .where(
                col(Member.deleted_at).is_(None),
                col(Household.deleted_at).is_(None),
                col(Household.status).in_(ACTIVE_STATUSES),
                scope_filter(col(Household.region_code), scope),
            )
            .group_by(col(Member.id_number_hash))
            .having(func.count(func.distinct(col(Member.household_id))) > 1)
        )
        if params.after:
            query = query.where(col(Member.id_number_hash) > str(params.after[0]))
        query = query.order_by(col(Member.id_number_hash)).limit(params.limit + 1)
        return [str(h) for h in (await self.session.execute(query)).scalars().all()]

    async def holders_of(self, id_hash: str, scope: str) -> list[tuple[Member, Household]]:
        query = (
            select(Member, Household)
            .join(Household, col(Household.id) == col(Member.household_id))
            .where(
                col(Member.id_number_hash) == id_hash,
                col(Member.deleted_at).is_(None),
                col(Household.deleted_at).is_(None),
                col(Household.status).in_(ACTIVE_STATUSES),
                scope_filter(col(Household.region_code), scope),
            )
            .order_by(col(Household.id))
        )
        return [(m, h) for m, h in (await self.session.execute(query)).all()]

    async def stream_members_for_discovery(
        self, scope: str, born_before: date | None = None, batch: int = 2000
    ) -> AsyncIterator[list[tuple[Member, Household]]]:
        """Members of active households in scope, in batches, in id order."""
        after: uuid.UUID | None = None
        while True:
            query = (
                select(Member, Household)
                .join(Household, col(Household.id) == col(Member.household_id))
                .where(
                    col(Member.deleted_at).is_(None),
                    col(Household.deleted_at).is_(None),
                    col(Household.status).in_(("applied", "verified", "approved", "suspended")),
                    scope_filter(col(Household.region_code), scope),
                )
                .order_by(col(Member.id))
                .limit(batch)
            )
            if after is not None:
                query = query.where(col(Member.id) > after)
            rows = [(m, h) for m, h in (await self.session.execute(query)).all()]
            if not rows:
                return
            yield rows
            after = rows[-1][0].id

    # payments

    async def approved_in(self, scope: str, region_code: str) -> Sequence[Household]:
        query = (
            _live_household()
            .where(
                col(Household.status) == "approved",
                scope_filter(col(Household.region_code), scope),
                scope_filter(col(Household.region_code), region_code),
            )
            .order_by(col(Household.id))
        )
        return (await self.session.execute(query)).scalars().all()

    async def paid_households(self, month: str, household_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        if not household_ids:
            return set()
        query = select(col(Payment.household_id)).where(
            col(Payment.month) == month,
            col(Payment.household_id).in_(household_ids),
            col(Payment.deleted_at).is_(None),
        )
        return set((await self.session.execute(query)).scalars().all())

    async def get_run(self, run_id: uuid.UUID, scope: str) -> PaymentRun | None:
        query = select(PaymentRun).where(
            col(PaymentRun.id) == run_id,
            col(PaymentRun.deleted_at).is_(None),
            scope_filter(col(PaymentRun.region_code), scope),
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def payments_of(self, household_id: uuid.UUID, params: PageParams) -> Sequence[Payment]:
        query = select(Payment).where(
            col(Payment.household_id) == household_id, col(Payment.deleted_at).is_(None)
        )
        return (
            (await self.session.execute(keyset(query, [col(Payment.id)], params, descending=True)))
            .scalars()
            .all()
        )
