from datetime import UTC, date, datetime

import pytest

from app.core.clock import Clock
from app.core.config import Settings


def test_local_date_leads_utc_after_midnight_in_beijing():
    clock = Clock("Asia/Shanghai")
    with clock.frozen(datetime(2026, 3, 31, 16, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 4, 1)
        assert clock.this_month() == "2026-04"
    with clock.frozen(datetime(2026, 3, 31, 15, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 3, 31)


def test_frozen_needs_an_aware_instant():
    with pytest.raises(ValueError, match="aware"), Clock().frozen(datetime(2026, 1, 1)):
        pass


def test_unknown_zone_is_refused_by_settings():
    with pytest.raises(ValueError, match="MZ_TIMEZONE"):
        Settings(timezone="Mars/Olympus")
