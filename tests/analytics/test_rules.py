"""Pure pieces of the analytics engine: question parsing, age bands, the SQL it builds on each
engine (scope in the WHERE, grouping sets for totals on PostgreSQL), months and charts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect

from app.analytics.ask import ask, names, parse_day
from app.analytics.charts import Point, bars, columns, nice_step
from app.analytics.registry import CubeRegistry
from app.analytics.statement import statements
from app.analytics.trend import month_index, month_text
from app.charity_trust.cubes import CHARITY_TRUSTS
from app.core.calendar import born_by
from app.core.cube import CubeContext
from app.core.errors import Unprocessable
from app.main import CUBES
from app.recipient.cubes import HOUSEHOLDS

TODAY = date(2026, 6, 15)


def sql(statement: Any, dialect: str) -> str:
    chosen: Any = PGDialect() if dialect == "postgresql" else SQLiteDialect()  # type: ignore[no-untyped-call]
    return str(statement.compile(dialect=chosen, compile_kwargs={"literal_binds": True}))


def test_names_keep_order_and_drop_repeats() -> None:
    assert names(" region:county, category ,,category") == ["region:county", "category"]
    assert names(None) == []


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2024", False, date(2024, 1, 1)),
        ("2024", True, date(2024, 12, 31)),
        ("2024Q1", True, date(2024, 3, 31)),
        ("2024Q3", False, date(2024, 7, 1)),
        ("2024-02", True, date(2024, 2, 29)),
        ("2023-02", True, date(2023, 2, 28)),
        ("2024-02-10", True, date(2024, 2, 10)),
    ],
)
def test_window_days(text: str, end: bool, expected: date) -> None:
    assert parse_day(text, ("query", "from"), end=end) == expected


@pytest.mark.parametrize("text", ["2024-13", "2024-02-30", "24-01", "2024Q5", "1899", "2024-1"])
def test_bad_window_days(text: str) -> None:
    with pytest.raises(Unprocessable):
        parse_day(text, ("query", "from"), end=False)


def test_every_unknown_name_is_named() -> None:
    with pytest.raises(Unprocessable) as caught:
        ask(HOUSEHOLDS, measures="count,x1,x2", by="y1,region:county", region_code=None, start=None, end=None)
    errors = caught.value.errors or []
    assert [e["loc"] for e in errors] == [["query", "measures"], ["query", "by"]]
    assert "x1, x2" in str(errors[0]["msg"])
    assert "y1" in str(errors[1]["msg"])
    defaults = ask(HOUSEHOLDS, measures=None, by=None, region_code=None, start=None, end=None)
    assert [m.name for m in defaults.measures] == ["count", "members", "benefit"]


def test_age_band_cutoffs_count_full_years() -> None:
    assert born_by(date(2026, 6, 15), 16) == date(2010, 6, 15)
    # On 29 February the cut-off in a common year is the 28th: born 1 March is not yet of age.
    assert born_by(date(2024, 2, 29), 61) == date(1963, 2, 28)
    assert born_by(date(2024, 2, 29), 80) == date(1944, 2, 29)


def test_postgresql_groups_by_grouping_sets_with_scope_in_the_where() -> None:
    question = ask(
        HOUSEHOLDS, measures="count,members", by="region:township,category,month", region_code=None,
        start="2024-01", end=None,
    )  # fmt: skip
    built = statements(question, CubeContext(today=TODAY, dialect="postgresql"), "330502000000")
    text = sql(built.rows, "postgresql")
    assert "GROUPING SETS" in text
    assert "grouping(" in text
    assert "region_code LIKE '330502%" in text
    assert "to_char(" in text
    assert "deleted_at IS NULL" in text
    assert built.totals is None


def test_sqlite_has_a_totals_query_instead() -> None:
    question = ask(
        HOUSEHOLDS, measures="count", by="category,quarter", region_code=None, start=None, end=None
    )
    built = statements(question, CubeContext(today=TODAY, dialect="sqlite"), "330500000000")
    rows, totals = sql(built.rows, "sqlite"), sql(built.totals, "sqlite")
    assert "GROUPING SETS" not in rows
    assert "GROUP BY" in rows
    assert "strftime(" in rows
    assert "GROUP BY" not in totals
    assert "region_code LIKE '3305%'" in rows
    assert "region_code LIKE '3305%'" in totals


def test_a_multi_valued_dimension_keeps_its_totals_apart() -> None:
    question = ask(
        CHARITY_TRUSTS, measures="count", by="purpose_category", region_code=None, start=None, end=None
    )
    built = statements(question, CubeContext(today=TODAY, dialect="postgresql"), "330500000000")
    assert "jsonb_array_elements_text(" in sql(built.rows, "postgresql")
    assert built.totals is not None
    assert "jsonb_array_elements_text(" not in sql(built.totals, "postgresql")
    on_sqlite = statements(question, CubeContext(today=TODAY, dialect="sqlite"), "330500000000")
    assert "json_each(" in sql(on_sqlite.rows, "sqlite")


def test_registry_refuses_clashes() -> None:
    registry = CubeRegistry(CUBES)
    assert len(registry) == len(CUBES) == 9
    with pytest.raises(ValueError, match="twice"):
        registry.register(HOUSEHOLDS)

    with pytest.raises(ValueError, match="cannot name"):
        registry.register(replace(HOUSEHOLDS, name="cubes"))


def test_months() -> None:
    index = month_index(date(2024, 1, 31))
    assert month_text(index) == "2024-01"
    assert month_text(index - 1) == "2023-12"
    assert month_text(index + 12) == "2025-01"


def test_charts() -> None:
    assert nice_step(95) == 50  # 95 / 4 = 23.75 → the next round step
    assert nice_step(8) == 2
    assert nice_step(0) == 1
    svg = columns("测试<&>", [Point("2024-01", 3.0, "3"), Point("2024-02", None, "—")])
    assert svg.count('class="bar"') == 1
    assert 'data-points="2"' in svg
    assert "测试&lt;&amp;&gt;" in svg
    assert 'data-value="3"' in bars("区县", [Point("吴兴区", 3.0, "3")])
