"""Tables the security layer keeps: failed-authentication counters per client address."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class AuthFailure(SQLModel, table=True):
    __tablename__ = "auth_failure"

    client_addr: str = Field(primary_key=True, max_length=100)
    window_start: int = Field(sa_column=Column(BigInteger, nullable=False))
    failures: int = Field(default=0)
