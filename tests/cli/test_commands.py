"""The command line, run as a user would: from another working directory, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook

from app.core.config import Settings
from app.security.tokens import TokenVerifier
from tests.factories import id_number

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MZ_")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_token_is_valid_for_the_service(tmp_path: Path) -> None:
    done = run(
        ["token", "--sub", "alice", "--roles", "operator", "viewer", "--region", "330502", "--ttl", "1h"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    principal = TokenVerifier(Settings(_env_file=None)).verify(done.stdout.strip())
    assert principal.sub == "alice"
    assert principal.roles == ("operator", "viewer")
    assert principal.region == "330502000000"
    bad = run(["token", "--sub", "x", "--roles", "superuser", "--region", "330502"], tmp_path)
    assert bad.returncode == 2
    assert "unknown roles" in bad.stderr


def test_migrate_and_import_from_any_directory(tmp_path: Path) -> None:
    migrated = run(["migrate", "upgrade"], tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "var" / "mzbrain.db").exists()
    rows = ["household_key,region_code,category,monthly_income,name,id_number,relation"]
    rows += [f"H{i},330502001000,dibao,900,甲{i},{id_number('330502')},head" for i in range(3)]
    rows.append("BAD,330502001000,dibao,900,乙,12345,head")
    source = tmp_path / "people.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    done = run(["import", "recipients", str(source), "--region", "330502", "--sub", "cli-test"], tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["households_inserted"] == 3
    assert [r["line"] for r in report["rejected"]] == [5]
    strict = run(["import", "recipients", str(source), "--region", "330502", "--strict"], tmp_path)
    assert strict.returncode == 1
    current = run(["migrate", "current"], tmp_path)
    assert current.returncode == 0


def test_openapi_check_from_elsewhere(tmp_path: Path) -> None:
    committed = ROOT / "openapi" / "openapi.json"
    ok = run(["openapi", "--check", "--out", str(committed)], tmp_path)
    assert ok.returncode == 0, ok.stderr
    stale = tmp_path / "stale.json"
    stale.write_text("{}", encoding="utf-8")
    assert run(["openapi", "--check", "--out", str(stale)], tmp_path).returncode == 1


def test_import_deaths_keeps_good_rows_and_reports_each_bad_line(tmp_path: Path) -> None:

    assert run(["migrate", "upgrade"], tmp_path).returncode == 0
    good = [id_number("330502") for _ in range(3)]
    rows = ["身份证号,死亡日期,来源"]
    rows += [f"{good[0]},2026-03-04,public_security", f"{good[1]},2026/3/5,funeral"]
    rows += [
        "12345,2026-03-04,public_security",  # line 4: not an ID number
        f"{good[2]},not a date,civil_registration",  # line 5: no date
        f"{good[0]},2026-03-04,funeral",  # line 6: recorded already (line 2)
        f"{good[2]},2999-01-01,funeral",  # line 7: in the future
    ]
    source = tmp_path / "deaths.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    done = run(["import", "deaths", str(source), "--region", "330502", "--sub", "cli-test"], tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["rows"], report["inserted"]) == (6, 2)
    assert [r["line"] for r in report["rejected"]] == [4, 5, 6, 7]
    assert "already recorded" in report["rejected"][2]["reason"]
    assert "future" in report["rejected"][3]["reason"]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ID number", "Date of Death", "Source"])
    sheet.append([good[2], "2026-02-01", "civil_registration"])
    sheet.append([good[1], "2026-02-01", "civil_registration"])
    workbook = tmp_path / "deaths.xlsx"
    book.save(workbook)
    again = run(["import", "deaths", str(workbook), "--strict"], tmp_path)
    assert again.returncode == 1, again.stderr  # one row rejected under --strict
    second = json.loads(again.stdout)
    assert (second["inserted"], [r["line"] for r in second["rejected"]]) == (1, [3])
