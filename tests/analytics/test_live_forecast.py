"""A forecast of an indicator computed from live data, over the analytics node's charity trusts:
``charity_trust_scale`` is the property of the trusts in force, a level, so its growth since
the year began is what is projected."""

from __future__ import annotations

from decimal import Decimal

from tests.analytics.conftest import Brain
from tests.analytics.seed import CITY, NANXUN, WUXING


async def test_charity_trust_scale_projects_its_growth(brain: Brain) -> None:
    r = await brain.get("/api/v1/indicators/charity_trust_scale/forecast", period="2023", as_of="2023-07-01")
    assert r.status_code == 200, r.text
    found = r.json()
    assert found["computed_by"] == "charity_trust_scale"
    regions = {row["region_code"]: row for row in found["regions"]}
    # In force on 2022-12-31: T1 (1,000,000). On 2023-07-01: T1, T2 (2,000,000) and T4 (300,000).
    city = regions[CITY]
    assert Decimal(city["actual"]) == Decimal("3300000")
    expected = Decimal(1_000_000) + Decimal(2_300_000) * 365 / 182
    assert Decimal(city["projected"]) == expected.quantize(Decimal("0.0001"))
    assert city["method"] == "linear"
    # 吴兴区 held 1,000,000 all along: no growth, nothing to extrapolate.
    assert Decimal(regions[WUXING]["projected"]) == Decimal(1_000_000)
    # 南浔区 began the year at 0: plain linear.
    assert Decimal(regions[NANXUN]["projected"]) == (Decimal(300_000) * 365 / 182).quantize(Decimal("0.0001"))
