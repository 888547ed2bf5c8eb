"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

from app.core.clock import clock


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp; SQLite (which keeps no zone) gets it back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class XID8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id (``xid8``)."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "xid8"


JSONDocument: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
"""JSON stored as JSONB on PostgreSQL."""

BigSerial: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit key; SQLite needs INTEGER for its rowid alias."""

TransactionId: TypeEngine[int] = BigInteger().with_variant(XID8(), "postgresql")
"""The writing transaction's id: ``xid8`` on PostgreSQL, unused on SQLite."""


def utcnow() -> datetime:
    """The current instant for stored timestamps: the one clock's (``app.core.clock``), so a
    test that sets the clock sees the records it writes stamped at that instant."""
    return clock.utcnow()


# Let reflection (alembic's drift check) recognise xid8 instead of warning about it.
ischema_names.setdefault("xid8", XID8)
