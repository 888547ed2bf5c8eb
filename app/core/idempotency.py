"""``Idempotency-Key`` on creating POSTs.

The first response (status and body) is kept per principal and key for
``MZ_IDEMPOTENCY_TTL_S`` and replayed on a repeat; the same key with a different body is 422.
The key row is inserted in the same transaction as the record it creates: a concurrent repeat
waits on that row (PostgreSQL's unique index; SQLite's write lock) and then replays, so
concurrent repeats create one record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Column, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from app.core.db import dialect_of
from app.core.errors import Unprocessable
from app.core.types import JSONDocument, UTCDateTime, utcnow


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_key"

    principal: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    status_code: int | None = None
    body: Any = Field(default=None, sa_column=Column(JSONDocument, nullable=True))
    headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSONDocument, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeat a create safely: the first response is replayed for 24 h.",
    ),
]


def fingerprint(route: str, payload: Any, key: bytes) -> str:
    """A keyed digest of the request (bodies can hold personal data; a plain hash of them could
    be brute-forced)."""
    doc = json.dumps([route, jsonable_encoder(payload)], sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, doc.encode(), hashlib.sha256).hexdigest()


async def _claim(session: AsyncSession, principal: str, key: str, fp: str, ttl_s: int) -> bool:
    now = utcnow()
    values = {
        "principal": principal,
        "key": key,
        "fingerprint": fp,
        "created_at": now,
        "expires_at": now + timedelta(seconds=ttl_s),
    }
    table = IdempotencyRecord.__table__  # type: ignore[attr-defined]
    if dialect_of(session) == "postgresql":
        stmt: Any = pg_insert(table).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    result = await session.execute(stmt.returning(table.c.key))
    return result.first() is not None


async def run_idempotent(
    session: AsyncSession,
    *,
    principal: str,
    key: str | None,
    route: str,
    payload: Any,
    ttl_s: int,
    key_secret: bytes,
    create: Callable[[], Awaitable[tuple[int, Any, dict[str, str]]]],
) -> JSONResponse:
    """Run ``create`` at most once per (principal, key); returns the response to send."""
    if key is None:
        status, body, headers = await create()
        return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)
    fp = fingerprint(route, payload, key_secret)
    claimed = await _claim(session, principal, key, fp, ttl_s)
    if not claimed:
        found = (
            await session.execute(
                select(IdempotencyRecord).where(
                    col(IdempotencyRecord.principal) == principal, col(IdempotencyRecord.key) == key
                )
            )
        ).scalar_one()
        if found.expires_at <= utcnow():
            await session.execute(
                delete(IdempotencyRecord).where(
                    col(IdempotencyRecord.principal) == principal, col(IdempotencyRecord.key) == key
                )
            )
            return await run_idempotent(
                session,
                principal=principal,
                key=key,
                route=route,
                payload=payload,
                ttl_s=ttl_s,
                key_secret=key_secret,
                create=create,
            )
        if found.fingerprint != fp:
            raise Unprocessable.at(
                ("header", "Idempotency-Key"),
                "this Idempotency-Key was used with a different request body",
            )
        headers = dict(found.headers or {})
        headers["Idempotency-Replayed"] = "true"
        return JSONResponse(found.body, status_code=found.status_code or 200, headers=headers)
    status, body, headers = await create()
    encoded = jsonable_encoder(body)
    await session.execute(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.principal) == principal, col(IdempotencyRecord.key) == key)
        .values(status_code=status, body=encoded, headers=headers)
    )
    return JSONResponse(encoded, status_code=status, headers=headers)


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def respond_once(
    request: Request,
    session: AsyncSession,
    *,
    principal: str,
    key: str | None,
    payload: Any,
    create: Callable[[], Awaitable[tuple[int, Any, dict[str, str]]]],
) -> JSONResponse:
    """:func:`run_idempotent` with the route, TTL and key taken from the request and settings."""
    settings = request.app.state.settings
    route = getattr(request.scope.get("route"), "name", request.url.path)
    return await run_idempotent(
        session,
        principal=principal,
        key=key,
        route=route,
        payload=payload,
        ttl_s=settings.idempotency_ttl_s,
        key_secret=settings.pii_index_key.encode(),
        create=create,
    )
