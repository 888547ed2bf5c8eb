"""Cube answers against figures computed by hand from the records of :mod:`tests.analytics.seed`
(SQLite and PostgreSQL: the suite's engine), with scope, totals and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analytics.conftest import Brain
from tests.analytics.seed import CHAOYANG, CITY, COMMUNITY, NANXUN, NANXUN_TOWN, WUXING, YUEHE

BASE = "/api/v1/analytics"


async def ask(brain: Brain, cube: str, *, region: str = "330500", status: int = 200, **params: str) -> Any:
    r = await brain.get(f"{BASE}/{cube}", region=region, **params)
    assert r.status_code == status, r.text
    return r.json()


def table(answer: dict[str, Any], *measures: str) -> dict[Any, tuple[Any, ...]]:
    """``{dimension values: measure values}`` of an answer's rows."""
    out: dict[Any, tuple[Any, ...]] = {}
    for row in answer["rows"]:
        key = tuple(row[d] for d in answer["by"])
        out[key[0] if len(key) == 1 else key] = tuple(row[m] for m in measures)
    return out


async def test_cubes_are_listed_with_labels(brain: Brain) -> None:
    r = await brain.get(f"{BASE}/cubes")
    assert r.status_code == 200
    cubes = {c["name"]: c for c in r.json()}
    assert list(cubes) == [
        "households",
        "payments",
        "members",
        "assessments",
        "charity_trusts",
        "addresses",
        "needs",
        "referrals",
        "visits",
    ]
    expected = {
        "households": (["count", "members", "benefit"], ["category", "status", "month", "quarter", "year"]),
        "payments": (["count", "amount"], ["category", "kind", "month", "quarter", "year"]),
        "members": (["count"], ["sex", "age_band", "disability_grade"]),
        "assessments": (["count", "avg_score"], ["level", "age_band", "month", "quarter", "year"]),
        "charity_trusts": (["count", "amount"], ["status", "purpose_category", "month", "quarter", "year"]),
        "addresses": (["count", "with_coordinates_share"], ["status"]),
        "needs": (["count"], ["kind", "status", "urgency", "source", "month", "quarter", "year"]),
        "referrals": (["count"], ["status", "month", "quarter", "year"]),
        "visits": (["count"], ["month", "quarter", "year"]),
    }
    for name, (measures, dimensions) in expected.items():
        cube = cubes[name]
        assert cube["label_zh"]
        assert cube["label_en"]
        assert [m["name"] for m in cube["measures"]] == measures
        names = {d["name"] for d in cube["dimensions"]}
        assert {"region:county", "region:township", "region:village"} <= names
        assert set(dimensions) <= names
        for entry in cube["measures"] + cube["dimensions"]:
            assert entry["label_zh"]
            assert entry["label_en"]
    assert "month" not in {d["name"] for d in cubes["addresses"]["dimensions"]}
    bands = next(d for d in cubes["members"]["dimensions"] if d["name"] == "age_band")
    assert [v["value"] for v in bands["values"]] == ["0-15", "16-59", "60-79", "80+"]


async def test_households_by_region_and_category(brain: Brain) -> None:
    answer = await ask(brain, "households", by="region:county,category")
    assert answer["totals"] == {"count": 6, "members": 10, "benefit": "3000.00"}
    assert answer["columns"] == [
        "region:county",
        "region:county_name",
        "category",
        "count",
        "members",
        "benefit",
    ]
    assert answer["rows"] == [
        {"region:county": WUXING, "region:county_name": "吴兴区", "category": "dibao", "count": 2,
         "members": 5, "benefit": "2500.00"},
        {"region:county": WUXING, "region:county_name": "吴兴区", "category": "tekun", "count": 1,
         "members": 1, "benefit": "0.00"},
        {"region:county": NANXUN, "region:county_name": "南浔区", "category": "dibao", "count": 2,
         "members": 3, "benefit": "500.00"},
        {"region:county": NANXUN, "region:county_name": "南浔区", "category": "dibao_edge", "count": 1,
         "members": 1, "benefit": "0.00"},
    ]  # fmt: skip


async def test_region_levels_carry_codes_and_names(brain: Brain) -> None:
    townships = await ask(brain, "households", by="region:township", measures="count")
    assert {r["region:township"]: (r["region:township_name"], r["count"]) for r in townships["rows"]} == {
        YUEHE: ("月河街道", 2),
        CHAOYANG: ("朝阳街道", 1),
        NANXUN_TOWN: ("南浔镇", 3),
    }
    # A record filed at a township stays at its township's code under region:village.
    villages = await ask(brain, "households", by="region:village", measures="count")
    assert {r["region:village"]: (r["region:village_name"], r["count"]) for r in villages["rows"]} == {
        YUEHE: ("月河街道", 1),
        COMMUNITY: ("测试社区", 1),
        CHAOYANG: ("朝阳街道", 1),
        NANXUN_TOWN: ("南浔镇", 3),
    }


async def test_time_dimensions_and_window(brain: Brain) -> None:
    months = await ask(brain, "households", by="month", measures="count,benefit")
    assert table(months, "count") == {
        "2024-01": (1,),
        "2024-02": (2,),
        "2025-01": (1,),
        "2025-03": (1,),
        None: (1,),
    }
    assert [r["month"] for r in months["rows"]][-1] is None  # no approval date sorts last
    quarters = await ask(brain, "households", by="quarter", measures="count")
    assert table(quarters, "count") == {"2024Q1": (3,), "2025Q1": (2,), None: (1,)}
    years = await ask(brain, "households", by="year,status", measures="count")
    assert table(years, "count") == {
        ("2024", "approved"): (3,),
        ("2025", "approved"): (2,),
        (None, "applied"): (1,),
    }
    window = await ask(
        brain, "households", by="category", measures="count,benefit", since="2024-02", to="2024-12"
    )
    assert table(window, "count", "benefit") == {"dibao": (1, "1500.00"), "tekun": (1, "0.00")}
    assert window["totals"] == {"count": 2, "benefit": "1500.00"}
    assert (window["from"], window["to"]) == ("2024-02-01", "2024-12-31")
    year = await ask(brain, "households", measures="count", since="2025")
    assert year["totals"] == {"count": 2}
    assert year["rows"] == [{"count": 2}]


async def test_benefit_uses_the_most_specific_standard(brain: Brain) -> None:
    # H6 in 南浔: 1,100.00 (南浔's standard) × 1 − 600.00, not 1,000.00 × 1 − 600.00.
    answer = await ask(brain, "households", by="status", measures="benefit", region_code=NANXUN)
    assert table(answer, "benefit") == {"approved": ("500.00",), "applied": ("0.00",)}


async def test_scope_is_the_callers_region(brain: Brain) -> None:
    county = await ask(brain, "households", region="330503", by="region:county", measures="count,members")
    assert county["rows"] == [
        {"region:county": NANXUN, "region:county_name": "南浔区", "count": 3, "members": 4}
    ]
    assert county["totals"] == {"count": 3, "members": 4}
    inside = await ask(brain, "households", measures="count", region_code=WUXING)
    assert inside["totals"] == {"count": 3}
    assert inside["region_name"] == "吴兴区"
    township = await ask(brain, "payments", region="330502001000", measures="count,amount")
    assert township["totals"] == {"count": 4, "amount": "5000.00"}
    outside = await ask(
        brain, "households", region="330503", status=404, measures="count", region_code=WUXING
    )
    assert outside["status"] == 404
    await ask(brain, "households", status=404, region_code="330599")


async def test_members_by_sex_age_band_and_disability(brain: Brain) -> None:
    bands = await ask(brain, "members", by="age_band")
    assert table(bands, "count") == {"0-15": (1,), "16-59": (5,), "60-79": (3,), "80+": (1,)}
    assert bands["totals"] == {"count": 10}
    sexes = await ask(brain, "members", by="sex")
    assert table(sexes, "count") == {"female": (4,), "male": (6,)}
    grades = await ask(brain, "members", by="disability_grade")
    assert table(grades, "count") == {1: (1,), 2: (1,), None: (8,)}
    both = await ask(brain, "members", by="region:county,age_band", region="330502")
    assert table(both, "count") == {
        (WUXING, "0-15"): (1,),
        (WUXING, "16-59"): (2,),
        (WUXING, "60-79"): (2,),
        (WUXING, "80+"): (1,),
    }


async def test_payments_by_month_kind_and_category(brain: Brain) -> None:
    months = await ask(brain, "payments", by="month")
    assert table(months, "count", "amount") == {"2024-03": (2, "2500.00"), "2024-04": (2, "2500.00")}
    assert months["totals"] == {"count": 4, "amount": "5000.00"}
    kinds = await ask(brain, "payments", by="kind,category")
    assert table(kinds, "count", "amount") == {("dibao", "dibao"): (4, "5000.00")}
    places = await ask(brain, "payments", by="region:village,quarter")
    assert table(places, "count", "amount") == {
        (YUEHE, "2024Q1"): (1, "1500.00"),
        (YUEHE, "2024Q2"): (1, "1500.00"),
        (COMMUNITY, "2024Q1"): (1, "1000.00"),
        (COMMUNITY, "2024Q2"): (1, "1000.00"),
    }
    nothing = await ask(brain, "payments", region="330503", by="month")
    assert nothing["rows"] == []
    assert nothing["totals"] == {"count": 0, "amount": "0.00"}


async def test_assessments_count_the_latest_per_person(brain: Brain) -> None:
    levels = await ask(brain, "assessments", by="level")
    assert table(levels, "count", "avg_score") == {
        "intact": (1, 90.0),
        "mild": (2, 75.0),
        "severe": (1, 40.0),
    }
    assert levels["totals"] == {"count": 4, "avg_score": 70.0}
    bands = await ask(brain, "assessments", by="age_band")
    assert table(bands, "count", "avg_score") == {"60-79": (3, 70.0), "80+": (1, 70.0)}
    counties = await ask(brain, "assessments", by="region:county")
    assert table(counties, "count", "avg_score") == {WUXING: (3, 63.33), NANXUN: (1, 90.0)}
    months = await ask(brain, "assessments", by="month", measures="count")
    assert table(months, "count") == {"2024-11": (1,), "2025-02": (1,), "2025-05": (1,), "2025-09": (1,)}
    # As of 2025-06-30 P1's latest is the first assessment (60, moderate).
    earlier = await ask(brain, "assessments", by="level", to="2025-06-30")
    assert table(earlier, "count") == {"intact": (1,), "mild": (2,), "moderate": (1,)}
    assert earlier["totals"] == {"count": 4, "avg_score": 75.0}
    spring = await ask(brain, "assessments", since="2025-01", to="2025-06")
    assert spring["totals"] == {"count": 3, "avg_score": 76.67}


async def test_charity_trusts_by_status_purpose_and_year(brain: Brain) -> None:
    statuses = await ask(brain, "charity_trusts", by="status")
    assert table(statuses, "count", "amount") == {
        "draft": (1, "0.00"),
        "filed": (2, "3000000.00"),
        "terminated": (1, "0.00"),
    }
    assert statuses["totals"] == {"count": 4, "amount": "3000000.00"}
    purposes = await ask(brain, "charity_trusts", by="purpose_category")
    assert table(purposes, "count", "amount") == {
        "education": (2, "1000000.00"),
        "health": (1, "2000000.00"),
        "other": (1, "0.00"),
        "poverty_relief": (1, "1000000.00"),
    }
    # A trust with two purposes counts under each, and once in the totals.
    assert purposes["totals"] == {"count": 4, "amount": "3000000.00"}
    years = await ask(brain, "charity_trusts", by="year")
    assert table(years, "count", "amount") == {
        "2022": (1, "1000000.00"),
        "2023": (2, "2000000.00"),
        None: (1, "0.00"),
    }
    counties = await ask(brain, "charity_trusts", by="region:county", measures="count")
    assert {r["region:county"]: (r["region:county_name"], r["count"]) for r in counties["rows"]} == {
        CITY: ("湖州市", 1),
        WUXING: ("吴兴区", 1),
        NANXUN: ("南浔区", 2),
    }


async def test_addresses_with_coordinates_share(brain: Brain) -> None:
    statuses = await ask(brain, "addresses", by="status")
    assert table(statuses, "count", "with_coordinates_share") == {"active": (3, 0.6667), "retired": (1, 1.0)}
    assert statuses["totals"] == {"count": 4, "with_coordinates_share": 0.75}
    counties = await ask(brain, "addresses", by="region:county", region="330502")
    assert table(counties, "count", "with_coordinates_share") == {WUXING: (2, 0.5)}


@pytest.mark.parametrize(
    ("cube", "params", "where", "names"),
    [
        ("households", {"measures": "count,bogus", "by": "region:county,colour"}, None, ["bogus", "colour"]),
        ("households", {"by": "region"}, ["query", "by"], ["region"]),
        ("households", {"by": "region:street"}, ["query", "by"], ["region:street"]),
        ("households", {"measures": "amount"}, ["query", "measures"], ["amount"]),
        ("members", {"by": "month"}, ["query", "by"], ["month"]),
        ("addresses", {"by": "year"}, ["query", "by"], ["year"]),
        ("addresses", {"from": "2024"}, ["query", "from"], ["addresses"]),
        ("households", {"from": "2024-13"}, ["query", "from"], []),
        ("households", {"to": "yesterday"}, ["query", "to"], []),
        ("households", {"from": "2025", "to": "2024"}, ["query", "to"], []),
        ("payments", {"format": "pdf"}, ["query", "format"], []),
    ],
)
async def test_unknown_names_and_bad_windows_are_422(
    brain: Brain, cube: str, params: dict[str, str], where: list[str] | None, names: list[str]
) -> None:
    r = await brain.get(f"{BASE}/{cube}", **params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    if where is not None:
        assert any(e["loc"] == where for e in problem["errors"]), problem
    text = " ".join(e["msg"] for e in problem["errors"])
    for name in names:
        assert name in text
    if names == ["bogus", "colour"]:
        assert {tuple(e["loc"]) for e in problem["errors"]} == {("query", "measures"), ("query", "by")}
        assert "bogus" in problem["detail"]
        assert "colour" in problem["detail"]


async def test_unknown_cube_and_roles(brain: Brain) -> None:
    r = await brain.get(f"{BASE}/pensions")
    assert r.status_code == 404
    assert "households" in r.json()["detail"]
    denied = await brain.get(f"{BASE}/households", "auditor")
    assert denied.status_code == 403
    listed = await brain.get(f"{BASE}/cubes", "auditor")
    assert listed.status_code == 403
    anonymous = await brain.client.get(f"{BASE}/households")
    assert anonymous.status_code == 401
