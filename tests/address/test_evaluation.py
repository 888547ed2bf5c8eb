"""The quality gate: parsing and matching on the evaluation set (a quality threshold, not a
timing). Runs on the suite's engine, in a database of its own so that other tests' addresses
do not stand in the way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.address import evaluation
from app.core.db import Database
from app.reference import load_reference
from tests.conftest import make_settings
from tests.data import make_address_eval

EVAL_SET = Path(__file__).resolve().parents[1] / "data" / "address_eval.csv"


def test_the_committed_set_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "eval.csv"
    make_address_eval.write(make_address_eval.build(), out)
    assert out.read_text(encoding="utf-8") == EVAL_SET.read_text(encoding="utf-8")


async def test_match_top1_is_at_least_95_percent(fresh_db: Callable[..., Any]) -> None:
    cases = evaluation.load_cases(EVAL_SET)
    assert len(cases) >= 300
    settings = make_settings(await fresh_db())
    db = Database(settings)
    try:
        await load_reference(db, settings)
        imported = await evaluation.build_register(db, settings)
        assert imported.rejected == 0
        assert imported.inserted > 1000
        report = await evaluation.evaluate(db, settings, cases)
    finally:
        await db.dispose()
    summary = evaluation.format_report(report, imported, misses=10)
    assert report.top1_accuracy >= 0.95, summary
    assert report.top5_accuracy >= report.top1_accuracy
    for name, tally in report.components.items():
        assert tally.accuracy >= 0.9, (name, summary)
