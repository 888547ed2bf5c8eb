"""Search and candidate queries over the register.

Text conditions use the search index: on PostgreSQL ``search_text LIKE '%…%'`` and
``word_similarity`` answered by the pg_trgm GIN index; on SQLite the FTS5 trigram table
``address_fts``. A trigram index cannot answer a term shorter than three characters, so such
terms fall back to a plain ``LIKE`` on ``search_text`` (a scan, still correct).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, column, func, literal, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.address.filters import AddressFilter
from app.address.models import Address
from app.address.repository import live
from app.core.db import dialect_of
from app.core.pagination import PageParams, keyset
from app.security.scope import scope_filter

FTS = table("address_fts", column("search_text"), column("address_id"), column("rank"))
TRIGRAM = 3
SIMILARITY = 0.3


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def trigrams(text: str) -> list[str]:
    return sorted({text[i : i + TRIGRAM] for i in range(len(text) - TRIGRAM + 1)})


class AddressSearch:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.is_postgres = dialect_of(session) == "postgresql"

    def contains(self, term: str) -> ColumnElement[bool]:
        """``search_text`` contains ``term`` (normalised), through the index when it can."""
        if self.is_postgres or len(term) < TRIGRAM:
            return col(Address.search_text).like(_like_pattern(term), escape="\\")
        matching = select(FTS.c.address_id).where(FTS.c.search_text.op("MATCH")(_fts_phrase(term)))
        return col(Address.id).in_(matching)

    def _filtered(self, scope: str, f: AddressFilter, terms: Sequence[str]) -> Select[Address]:
        query = live().where(scope_filter(col(Address.region_code), scope))
        for term in terms:
            query = query.where(self.contains(term))
        if f.region_code:
            query = query.where(scope_filter(col(Address.region_code), f.region_code))
        if f.road:
            query = query.where(col(Address.road) == f.road)
        if f.compound:
            query = query.where(col(Address.compound) == f.compound)
        if f.status:
            query = query.where(col(Address.status) == f.status)
        if f.code:
            query = query.where(or_(col(Address.address_code) == f.code, col(Address.plate_code) == f.code))
        return query

    async def page(
        self, scope: str, params: PageParams, filters: AddressFilter, *, terms: Sequence[str] = ()
    ) -> tuple[Sequence[Address], int | None]:
        """A page of the live addresses inside ``scope`` matching ``filters`` and containing
        every one of ``terms`` (already normalised)."""
        base = self._filtered(scope, filters, terms)
        rows = (await self.session.execute(keyset(base, [col(Address.id)], params))).scalars().all()
        total = None
        if params.count:
            counted = select(func.count()).select_from(base.subquery())
            total = int((await self.session.execute(counted)).scalar_one())
        return rows, total

    # candidates for matching

    def _active(self, scope: str) -> Select[Address]:
        return live().where(col(Address.status) == "active", scope_filter(col(Address.region_code), scope))

    async def by_components(
        self, scope: str, equal: dict[str, str], *, region_code: str | None = None, limit: int = 200
    ) -> list[Address]:
        """Active addresses whose given components are equal; fewest components first, so the
        house or building itself comes before the rooms in it."""
        query = self._active(scope).where(and_(*[getattr(Address, k) == v for k, v in equal.items()]))
        if region_code:
            query = query.where(scope_filter(col(Address.region_code), region_code))
        query = query.order_by(
            col(Address.building), col(Address.unit), col(Address.floor), col(Address.room)
        ).limit(limit)
        return list((await self.session.execute(query)).scalars().all())

    async def distinct_names(self, scope: str, kind: str) -> list[str]:
        """The distinct non-empty values of ``road``, ``compound`` or ``village`` among active
        addresses in scope, sorted."""
        column = col(getattr(Address, kind))
        query = (
            select(column)
            .where(
                col(Address.deleted_at).is_(None),
                col(Address.status) == "active",
                column != "",
                scope_filter(col(Address.region_code), scope),
            )
            .distinct()
            .order_by(column)
        )
        return [str(v) for v in (await self.session.execute(query)).scalars().all()]

    async def by_terms(self, scope: str, terms: Sequence[str], *, limit: int = 100) -> list[Address]:
        """Active addresses whose full name or aliases contain every term."""
        if not terms:
            return []
        query = self._active(scope)
        for term in terms:
            query = query.where(self.contains(term))
        return list((await self.session.execute(query.limit(limit))).scalars().all())

    def matches_pattern(self, pattern: str) -> ColumnElement[bool]:
        """``search_text`` contains ``pattern``, where ``_`` stands for any one character.

        On SQLite the FTS5 table answers when the pattern keeps a run of three characters; a
        pattern without one is a plain scan (the trigram table would find nothing)."""
        like = f"%{pattern}%"
        if self.is_postgres or not any(len(run) >= TRIGRAM for run in pattern.split("_")):
            return col(Address.search_text).like(like)
        return col(Address.id).in_(select(FTS.c.address_id).where(FTS.c.search_text.like(like)))

    async def by_patterns(self, scope: str, patterns: Sequence[str], *, limit: int = 100) -> list[Address]:
        """Active addresses whose text contains any of the patterns (see :meth:`matches_pattern`)."""
        if not patterns:
            return []
        query = self._active(scope).where(or_(*[self.matches_pattern(p) for p in patterns])).limit(limit)
        return list((await self.session.execute(query)).scalars().all())

    async def similar(self, scope: str, text: str, *, limit: int = 50) -> list[Address]:
        """Active addresses whose text resembles ``text`` most (trigram similarity)."""
        if len(text) < TRIGRAM:
            return []
        if self.is_postgres:
            # The default threshold (0.6) misses a name with one wrong character in three.
            await self.session.execute(
                select(func.set_config("pg_trgm.word_similarity_threshold", str(SIMILARITY), True))
            )
            similarity = func.word_similarity(literal(text), col(Address.search_text))
            query = (
                self._active(scope)
                .where(literal(text).op("<%")(col(Address.search_text)))
                .order_by(similarity.desc())
                .limit(limit)
            )
            return list((await self.session.execute(query)).scalars().all())
        grams = trigrams(text)[:64]
        expression = " OR ".join(_fts_phrase(g) for g in grams)
        query = (
            self._active(scope)
            .join(FTS, FTS.c.address_id == col(Address.id))
            .where(FTS.c.search_text.op("MATCH")(expression))
            .order_by(FTS.c.rank)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars().all())
