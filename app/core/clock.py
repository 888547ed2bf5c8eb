"""The one clock: every date the service derives (today, this month, ages, due dates, periods)
is read from here, in the zone the node serves (``MZ_TIMEZONE``, default ``Asia/Shanghai``).

Timestamps are stored in UTC; only derived *dates* are local. Tests move the clock with
:meth:`Clock.frozen` instead of patching ``date.today``. A running node started with
``MZ_TEST_CLOCK=true`` (refused in production) takes the instant of one request from its
``X-Test-Now`` header (:meth:`Clock.at`, local to the request's context), so a test against a
live process can play the same request at 23:30 and at 00:30.

Token lifetimes are checked against the wall clock, never this one: setting the business
clock cannot make an expired token valid.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"

_request_instant: ContextVar[datetime | None] = ContextVar("mzbrain_clock_instant", default=None)


class Clock:
    def __init__(self, zone: str = DEFAULT_ZONE) -> None:
        self._zone: tzinfo = ZoneInfo(zone)
        self._fixed: datetime | None = None

    @property
    def zone(self) -> tzinfo:
        return self._zone

    def configure(self, zone: str) -> None:
        self._zone = ZoneInfo(zone)

    def utcnow(self) -> datetime:
        """The current instant, aware, in UTC."""
        instant = _request_instant.get()
        if instant is not None:
            return instant
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    def now(self) -> datetime:
        """The current instant in the node's zone."""
        return self.utcnow().astimezone(self._zone)

    def today(self) -> date:
        """The local calendar date."""
        return self.now().date()

    def this_month(self) -> str:
        """The local month as ``YYYY-MM``."""
        return self.today().strftime("%Y-%m")

    def local_date(self, instant: datetime) -> date:
        """The local calendar date of a stored (UTC) instant."""
        return instant.astimezone(self._zone).date()

    @contextmanager
    def frozen(self, instant: datetime) -> Iterator[None]:
        """Hold the clock at ``instant`` (aware) inside the block."""
        if instant.tzinfo is None:
            raise ValueError("frozen() needs an aware datetime")
        previous, self._fixed = self._fixed, instant.astimezone(UTC)
        try:
            yield
        finally:
            self._fixed = previous

    @contextmanager
    def at(self, instant: datetime) -> Iterator[None]:
        """Hold the clock at ``instant`` (aware) for the current context only (one request)."""
        if instant.tzinfo is None:
            raise ValueError("at() needs an aware datetime")
        token = _request_instant.set(instant.astimezone(UTC))
        try:
            yield
        finally:
            _request_instant.reset(token)


clock = Clock()
"""The process's clock; ``create_app`` sets its zone from the settings."""
