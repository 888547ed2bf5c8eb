"""``import`` and ``eval``: bulk loads and quality evaluations, one target per domain
(``python -m app import addresses FILE``, ``python -m app eval addresses``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.logs import configure_logging
from app.core.migrations import upgrade
from app.reference import load_reference

REPO_EVAL_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "address_eval.csv"


def _progress_bar(stream: IO[bytes], total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A tqdm bar over the bytes of ``stream`` read so far (updated every 1,000 rows)."""
    from tqdm import tqdm

    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr)
    rows = 0

    def advance(n: int) -> None:
        nonlocal rows
        rows += n
        if rows % 1000 == 0:
            bar.update(stream.tell() - bar.n)

    def close() -> None:
        bar.update(total - bar.n)
        bar.close()

    return advance, close


async def _import_addresses(settings: Settings, stream: IO[bytes], size: int, quiet: bool) -> int:
    from app.address import importer
    from app.audit.actor import Actor
    from app.core.unit_of_work import UnitOfWork
    from app.security.principal import Principal

    db = Database(settings)
    principal = Principal(sub="system:import", roles=("admin",), region=settings.node_region)
    advance, close = _progress_bar(stream, size) if not quiet else (None, None)
    try:
        await load_reference(db, settings)
        async with db.writer() as session, session.begin():
            uow = UnitOfWork(
                session, Actor.system("import", settings.node_region), node_region=settings.node_region
            )
            report = await importer.import_file(uow, principal, stream, advance)
    finally:
        if close:
            close()
        await db.dispose()
    print(
        f"{report.rows} rows: {report.inserted} inserted, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected} rejected"
    )
    for rejection in report.rejections:
        print(f"  line {rejection.line}: {rejection.reason}")
    if report.rejected > len(report.rejections):
        print(f"  … and {report.rejected - len(report.rejections)} more")
    return 0


def _import(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging("WARNING")
    path = Path(args.file)
    if not path.is_file():
        raise ValueError(f"no file {path}")
    upgrade(settings.database_url)
    with path.open("rb") as stream:
        return asyncio.run(_import_addresses(settings, stream, path.stat().st_size, args.quiet))


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
    i = commands.add_parser("import", help="bulk-load records from a file")
    targets = i.add_subparsers(dest="target", required=True, metavar="TARGET")
    addresses = targets.add_parser("addresses", help="standard addresses from CSV (UTF-8)")
    addresses.add_argument("file", help="CSV with region_code, road, house_number, compound, building, …")
    addresses.add_argument("--quiet", action="store_true", help="no progress bar")
    addresses.set_defaults(handler=_import)

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
