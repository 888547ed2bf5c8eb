"""Keyset pagination: ``?limit=&cursor=&count=`` → ``{items, next_cursor, total?}``.

A cursor is the sort key of the last row served, JSON-encoded and signed, so a client cannot
forge one into an arbitrary query (a bad cursor answers 400).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypedDict, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Date, Select, Uuid, and_, false, or_

from app.core.errors import BadRequest
from app.core.types import UTCDateTime

T = TypeVar("T")
R = TypeVar("R")
Q = TypeVar("Q", bound=Select[Any])

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    total: int | None = None


class PageDocument(TypedDict, Generic[T]):
    """A :class:`Page` as plain values, for reads that serialise straight to JSON bytes."""

    items: list[T]
    next_cursor: str | None
    total: int | None


class CursorCodec:
    """Signs and checks opaque cursors."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("cursor:" + secret).encode()).digest()

    def bound(self, context: str) -> CursorCodec:
        """A codec whose cursors are good only in the same ``context`` (the path of the list
        that issued them): a cursor of one list is a forged one anywhere else, even where the
        lists are keyed alike."""
        codec = CursorCodec.__new__(CursorCodec)
        codec._key = hmac.new(self._key, context.encode(), hashlib.sha256).digest()
        return codec

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:12]

    def encode(self, values: Sequence[Any]) -> str:
        payload = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
        token = self._sign(payload) + payload
        return base64.urlsafe_b64encode(token).decode().rstrip("=")

    def decode(self, cursor: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            mac, payload = raw[:12], raw[12:]
            if not hmac.compare_digest(mac, self._sign(payload)):
                raise ValueError("bad signature")
            values = json.loads(payload)
            if not isinstance(values, list):
                raise ValueError("not a list")
            return values
        except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
            raise BadRequest("unknown cursor; start again without one") from None


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    after: list[Any] | None
    count: bool
    codec: CursorCodec


def codec_for(request: Request) -> CursorCodec:
    codec: CursorCodec = request.app.state.cursor_codec
    return codec


async def page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, at most 500.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=2000, description="Opaque cursor from `next_cursor`.")
    ] = None,
    count: Annotated[bool, Query(description="Add `total`, the count of all matching rows.")] = False,
) -> PageParams:
    # The scope's path, not request.url: building the URL decodes the raw query string,
    # which fails on bytes that are not UTF-8.
    codec = codec_for(request).bound(str(request.scope.get("path", "")))
    after = codec.decode(cursor) if cursor else None
    return PageParams(limit=limit, after=after, count=count, codec=codec)


Paging = Annotated[PageParams, Depends(page_params)]


def _coerce(column: Any, value: Any) -> Any:
    if value is None:
        return None
    col_type = column.type
    if isinstance(col_type, Uuid):
        return uuid.UUID(str(value))
    if isinstance(col_type, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(col_type, Date):
        return date.fromisoformat(value)
    return value


def keyset(
    query: Q,
    columns: Sequence[Any],
    params: PageParams,
    *,
    descending: bool = False,
) -> Q:
    """Order ``query`` by ``columns`` (unique together) and start after the cursor."""
    ordered = [c.desc() if descending else c.asc() for c in columns]
    query = query.order_by(*ordered).limit(params.limit + 1)
    if params.after is None:
        return query
    if len(params.after) != len(columns):
        raise BadRequest("unknown cursor; start again without one")
    try:
        values = [_coerce(c, v) for c, v in zip(columns, params.after, strict=True)]
    except (ValueError, TypeError):
        raise BadRequest("unknown cursor; start again without one") from None
    # (a, b) > (x, y) spelled out, so NULL-free columns work the same on both engines.
    clauses = []
    for i, column in enumerate(columns):
        equal = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(and_(*equal, beyond))
    return query.where(or_(false(), *clauses))


def _next_cursor(rows: Sequence[R], params: PageParams, key: Callable[[R], Sequence[Any]]) -> str | None:
    more = len(rows) > params.limit
    shown = rows[: params.limit]
    return params.codec.encode(key(shown[-1])) if more and shown else None


def build_page(
    rows: Sequence[R],
    params: PageParams,
    key: Callable[[R], Sequence[Any]],
    convert: Callable[[R], T],
    total: int | None = None,
) -> Page[T]:
    next_cursor = _next_cursor(rows, params, key)
    return Page[T](items=[convert(r) for r in rows[: params.limit]], next_cursor=next_cursor, total=total)


def page_document(
    rows: Sequence[R],
    params: PageParams,
    key: Callable[[R], Sequence[Any]],
    convert: Callable[[R], T],
    total: int | None = None,
) -> PageDocument[T]:
    """:func:`build_page` as a :class:`PageDocument`."""
    next_cursor = _next_cursor(rows, params, key)
    return {"items": [convert(r) for r in rows[: params.limit]], "next_cursor": next_cursor, "total": total}
