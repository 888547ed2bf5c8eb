"""The one clock: every date the service derives (today, this month, ages, due dates, periods)
is read from here, in the zone the node serves (``MZ_TIMEZONE``, default ``Asia/Shanghai``).

Timestamps are stored in UTC; only derived *dates* are local. Tests move the clock with
:meth:`Clock.frozen` instead of patching ``date.today``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


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


clock = Clock()
"""The process's clock; ``create_app`` sets its zone from the settings."""
