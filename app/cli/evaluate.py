"""``eval addresses``: parse and match accuracy on an evaluation set."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from app.core.config import Settings
from app.core.db import Database
from app.core.logs import configure_logging
from app.core.migrations import upgrade
from app.reference import load_reference

REPO_EVAL_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "address_eval.csv"


async def _evaluate_addresses(settings: Settings, path: Path, misses: int) -> int:
    from app.address import evaluation

    cases = evaluation.load_cases(path)
    db = Database(settings)
    try:
        await load_reference(db, settings)
        imported = await evaluation.build_register(db, settings)
        report = await evaluation.evaluate(db, settings, cases)
    finally:
        await db.dispose()
    print(evaluation.format_report(report, imported, misses))
    return 0


def _eval(args: argparse.Namespace) -> int:
    configure_logging("WARNING")
    path = Path(args.file)
    if not path.is_file():
        raise ValueError(f"no evaluation set {path} (give --file)")
    if args.database_url:
        settings = Settings(database_url=args.database_url, _env_file=None)
        upgrade(settings.database_url)
        return asyncio.run(_evaluate_addresses(settings, path, args.misses))
    with tempfile.TemporaryDirectory(prefix="mzbrain-eval-") as folder:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{Path(folder) / 'eval.db'}", _env_file=None)
        upgrade(settings.database_url)
        return asyncio.run(_evaluate_addresses(settings, path, args.misses))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    e = commands.add_parser("eval", help="measure a domain's quality on an evaluation set")
    kinds = e.add_subparsers(dest="target", required=True, metavar="TARGET")
    ev = kinds.add_parser("addresses", help="address parsing and matching accuracy")
    ev.add_argument("--file", default=str(REPO_EVAL_SET), help="evaluation set (CSV)")
    ev.add_argument(
        "--database-url",
        help="build the synthetic register in this database (default: a temporary SQLite file)",
    )
    ev.add_argument("--misses", type=int, default=0, help="list this many top-1 misses")
    ev.set_defaults(handler=_eval)
