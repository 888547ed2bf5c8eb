"""The evaluation sets and the ``eval addresses`` command.

The hand-written set (``tests/data/addresses_handwritten.csv``) is texts as residents, couriers
and old systems write them, over a hand-written register of real Huzhou townships; the
synthetic set is written by ``tools/make_address_eval.py``. The accuracy and engine-parity gate
is in ``test_engine_parity.py``.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from app.address.evaluation import load_cases, register_for
from app.region.reference import shipped_rows
from tools import make_address_eval

DATA = Path(__file__).resolve().parents[1] / "data"
HANDWRITTEN = DATA / "addresses_handwritten.csv"
SYNTHETIC = DATA / "address_eval.csv"
CATEGORIES = {
    "standard",
    "latin",
    "homophone",
    "building",
    "numerals",
    "village",
    "zone",
    "clutter",
    "absent",
}


def _register(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_handwritten_set_covers_every_category_over_real_townships() -> None:
    cases = load_cases(HANDWRITTEN)
    assert len(cases) >= 300
    counts = {c: sum(1 for case in cases if case.category == c) for c in CATEGORIES}
    assert set(counts) == {case.category for case in cases}
    assert all(n >= 25 for n in counts.values()), counts
    register = register_for(HANDWRITTEN)
    assert register is not None
    rows = _register(register)
    refs = {row["ref"] for row in rows}
    assert len(refs) == len(rows)
    townships = {r["code"] for r in shipped_rows() if r["level"] == "township"}
    assert {row["region_code"] for row in rows} <= townships
    assert len({row["region_code"] for row in rows}) >= 60, "spread over the city's townships"
    for case in cases:
        assert (case.category == "absent") == (case.expected_ref == ""), case.text
        assert case.expected_ref == "" or case.expected_ref in refs, case.text
    assert len({case.text for case in cases}) == len(cases), "no text twice"


def test_the_synthetic_set_is_what_the_tool_writes(tmp_path: Path) -> None:
    out = tmp_path / "eval.csv"
    make_address_eval.write(make_address_eval.build(), out)
    make_address_eval.write_register(make_address_eval.register_path(out))
    assert out.read_text(encoding="utf-8") == SYNTHETIC.read_text(encoding="utf-8")
    assert (tmp_path / "eval.register.csv").read_text(encoding="utf-8") == (
        DATA / "address_eval.register.csv"
    ).read_text(encoding="utf-8")


def test_the_service_package_holds_no_generator() -> None:
    package = Path(__file__).resolve().parents[2] / "app" / "address"
    assert not (package / "synthetic.py").exists()
    for module in package.glob("*.py"):
        assert "import random" not in module.read_text(encoding="utf-8"), module.name


def test_eval_command_reports_per_category_and_lists_misses(tmp_path: Path) -> None:
    cases = tmp_path / "few.csv"
    cases.write_text(
        "category,text,expected\n"
        "latin,HUZHOU CITY 吴兴区红旗路88号,W04\n"
        "homophone,德清县武康街道千秋接12号,D01\n"
        "village,妙西镇西山村三组十二号,W39\n"
        "standard,吴兴区红旗路88号,W01\n"
        "standard,湖州人民路12号,W01\n"
        "absent,吴兴区月河街道人民路999号,\n",
        encoding="utf-8",
    )
    register = register_for(HANDWRITTEN)
    assert register is not None
    command = [sys.executable, "-m", "app", "eval", "addresses", "--file", str(cases)]
    command += ["--register", str(register)]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for line in ("latin", "homophone", "village", "standard"):
        assert any(row.startswith(line) for row in out.splitlines()), out
    assert "sqlite top-1" in out
    assert "misses on sqlite (2)" in out  # the deliberately wrong label and the ambiguous text
    assert "吴兴区红旗路88号" in out
    # three townships have a 人民路12号: the text names none, so no one row is its answer
    assert "ambiguous on sqlite: 1 texts fit several addresses equally" in out
    assert "(ambiguous, 0.70)" in out
    assert "answered as exact: 0; matched: 0" in out
    bar = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "eval",
            "addresses",
            "--file",
            str(cases),
            "--register",
            str(register),
            "--min-top1",
            "0.97",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
    )
    assert bar.returncode == 1, bar.stdout


def test_eval_command_needs_a_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "eval", "addresses"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "--file" in done.stderr
