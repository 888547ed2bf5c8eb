"""``import <dataset> FILE``: bulk imports from the command line, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from tqdm import tqdm

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.logs import configure_logging
from app.core.migrations import upgrade
from app.core.tabular import read_table
from app.core.validators import normalize_region_code
from app.ledger.actor import Actor
from app.ledger.unit_of_work import UnitOfWork
from app.reference import load_reference
from app.security.pii import PiiCipher
from app.security.principal import Principal


def _principal(args: argparse.Namespace, node_region: str) -> Principal:
    region = normalize_region_code(args.region) if args.region else node_region
    sub = args.sub or f"cli:{getpass.getuser()}"
    return Principal(sub=sub, roles=("operator",), region=region, name=sub)


async def _import_recipients(path: Path, principal: Principal) -> dict[str, object]:
    from app.models import import_all_models
    from app.recipient.importer import ALIASES, import_rows

    import_all_models()
    settings = get_settings()
    db = Database(settings)
    pii = PiiCipher.from_settings(settings)
    try:
        with path.open("rb") as handle, tqdm(unit="row", desc=path.name) as bar:
            rows = read_table(handle, path.name, None, ALIASES)
            async with db.writer() as session, session.begin():
                uow = UnitOfWork(
                    session,
                    Actor(sub=principal.sub, roles=principal.roles, region=principal.region),
                    node_region=settings.node_region,
                )
                report = await import_rows(uow, principal, pii, rows, progress=bar.update)
                await uow.audit(
                    "recipient.import",
                    resource_type="recipient_household",
                    details={
                        "rows": report.rows,
                        "households": report.households_inserted,
                        "rejected": len(report.rejected),
                        "source": "cli",
                    },
                )
        return report.model_dump()
    finally:
        await db.dispose()


async def _import_deaths(path: Path, principal: Principal) -> dict[str, object]:
    from app.models import import_all_models
    from app.recipient.death_import import ALIASES, canonical, import_rows

    import_all_models()
    settings = get_settings()
    db = Database(settings)
    pii = PiiCipher.from_settings(settings)
    try:
        with path.open("rb") as handle, tqdm(unit="row", desc=path.name, file=sys.stderr) as bar:
            rows = canonical(read_table(handle, path.name, None, ALIASES))
            async with db.writer() as session, session.begin():
                uow = UnitOfWork(
                    session,
                    Actor(sub=principal.sub, roles=principal.roles, region=principal.region),
                    node_region=settings.node_region,
                )
                report = await import_rows(uow, principal, pii, rows, progress=bar.update)
                await uow.audit(
                    "death_record.import",
                    resource_type="death_record",
                    details={
                        "rows": report.rows,
                        "inserted": report.inserted,
                        "rejected": len(report.rejected),
                        "source": "cli",
                    },
                )
        return report.model_dump()
    finally:
        await db.dispose()


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
    from app.ledger.actor import Actor
    from app.ledger.unit_of_work import UnitOfWork
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


def _import_addresses_command(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging("WARNING")
    path = Path(args.file)
    if not path.is_file():
        raise ValueError(f"no file {path}")
    upgrade(settings.database_url)
    with path.open("rb") as stream:
        return asyncio.run(_import_addresses(settings, stream, path.stat().st_size, args.quiet))


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    principal = _principal(args, settings.node_region)
    path = Path(args.file)
    if not path.exists():
        raise ValueError(f"no file {path}")
    if args.dataset == "recipients":
        report = asyncio.run(_import_recipients(path, principal))
    elif args.dataset == "deaths":
        report = asyncio.run(_import_deaths(path, principal))
    else:
        raise ValueError(f"unknown dataset {args.dataset}")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    rejected = report.get("rejected")
    return 1 if isinstance(rejected, list) and rejected and args.strict else 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("import", help="bulk-load records from a file")
    targets = p.add_subparsers(dest="dataset", required=True, metavar="DATASET")
    people = targets.add_parser("recipients", help="households from CSV or XLSX, one row per member")
    people.add_argument("file")
    people.add_argument("--region", help="scope of the import (default: MZ_NODE_REGION)")
    people.add_argument("--sub", help="who is importing, for the audit log (default: cli:<user>)")
    people.add_argument("--strict", action="store_true", help="exit 1 when any row is rejected")
    people.set_defaults(handler=_run)
    deaths = targets.add_parser(
        "deaths", help="death notices from CSV or XLSX: id_number, died_on, source[, note]"
    )
    deaths.add_argument("file")
    deaths.add_argument("--region", help="scope of the import (default: MZ_NODE_REGION)")
    deaths.add_argument("--sub", help="who is importing, for the audit log (default: cli:<user>)")
    deaths.add_argument("--strict", action="store_true", help="exit 1 when any row is rejected")
    deaths.set_defaults(handler=_run)
    addresses = targets.add_parser("addresses", help="standard addresses from CSV (UTF-8)")
    addresses.add_argument("file", help="CSV with region_code, road, house_number, compound, building, …")
    addresses.add_argument("--quiet", action="store_true", help="no progress bar")
    addresses.set_defaults(handler=_import_addresses_command)
