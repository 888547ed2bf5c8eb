"""``eval addresses``: parse and match accuracy on a labelled evaluation set, per category and
per engine (see :mod:`app.address.evaluation` for the file formats).

Nothing is shipped with the service to evaluate against: ``--file`` names the set, and the
register comes from ``--register`` (default: ``<set>.register.csv`` beside the set, when there
is one) — or, without either, from what the database already holds.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from app.address.schemas import AddressImportReport
from app.core.config import Settings
from app.core.db import Database
from app.core.logs import configure_logging
from app.core.migrations import upgrade
from app.reference import load_reference

if TYPE_CHECKING:
    from app.address.evaluation import EvalCase, EvalReport


async def _one_engine(
    url: str, cases: list[EvalCase], register: bytes | None, engine: str
) -> tuple[EvalReport, AddressImportReport | None]:
    from app.address import evaluation

    settings = Settings(database_url=url, _env_file=None)
    db = Database(settings)
    try:
        await load_reference(db, settings)
        imported = await evaluation.build_register(db, settings, register) if register else None
        names = await evaluation.register_names(db, register) if register else {}
        report = await evaluation.evaluate(db, settings, cases, names, engine)
    finally:
        await db.dispose()
    return report, imported


def _engine(url: str) -> str:
    return make_url(url).get_backend_name()


def _eval(args: argparse.Namespace) -> int:
    from app.address import evaluation

    configure_logging("WARNING")
    path = Path(args.file)
    if not path.is_file():
        raise ValueError(f"no evaluation set {path}")
    register_path = Path(args.register) if args.register else evaluation.register_for(path)
    if register_path is not None and not register_path.is_file():
        raise ValueError(f"no register {register_path}")
    register = register_path.read_bytes() if register_path else None
    cases = evaluation.load_cases(path)
    if not cases:
        raise ValueError(f"{path} holds no texts")
    reports: list[EvalReport] = []
    imported: list[AddressImportReport | None] = []
    with tempfile.TemporaryDirectory(prefix="mzbrain-eval-") as folder:
        urls = args.database_url or [f"sqlite+aiosqlite:///{Path(folder) / 'eval.db'}"]
        if register is None and not args.database_url:
            raise ValueError("give --register (or a --database-url whose register to measure)")
        for url in urls:
            upgrade(url)
            report, done = asyncio.run(_one_engine(url, cases, register, _engine(url)))
            reports.append(report)
            imported.append(done)
    print(evaluation.format_report(cases, reports, imported, args.misses))
    if args.min_top1 is not None and any(r.top1_accuracy < args.min_top1 for r in reports):
        return 1
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    e = commands.add_parser("eval", help="measure a domain's quality on an evaluation set")
    kinds = e.add_subparsers(dest="target", required=True, metavar="TARGET")
    ev = kinds.add_parser(
        "addresses",
        help="address matching accuracy: top-1/top-5 per category and engine, and the misses",
    )
    ev.add_argument("--file", required=True, help="evaluation set (CSV: category, text, expected …)")
    ev.add_argument(
        "--register",
        help="register to import first (address import CSV, optional ref column); default: "
        "<file stem>.register.csv beside the set, when present",
    )
    ev.add_argument(
        "--database-url",
        action="append",
        help="evaluate in this database (migrated first); repeat to compare engines "
        "(default: a temporary SQLite file)",
    )
    ev.add_argument("--misses", type=int, default=20, help="list at most this many misses per engine")
    ev.add_argument("--min-top1", type=float, help="exit 1 when top-1 falls below this on any engine")
    ev.set_defaults(handler=_eval)
