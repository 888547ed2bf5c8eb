"""``import <dataset> FILE``: bulk imports from the command line, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from pathlib import Path

from tqdm import tqdm

from app.audit.actor import Actor
from app.core.config import get_settings
from app.core.db import Database
from app.core.tabular import read_table
from app.core.unit_of_work import UnitOfWork
from app.core.validators import normalize_region_code
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


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    principal = _principal(args, settings.node_region)
    path = Path(args.file)
    if not path.exists():
        raise ValueError(f"no file {path}")
    if args.dataset == "recipients":
        report = asyncio.run(_import_recipients(path, principal))
    else:
        raise ValueError(f"unknown dataset {args.dataset}")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    rejected = report.get("rejected")
    return 1 if isinstance(rejected, list) and rejected and args.strict else 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("import", help="bulk-import a CSV or XLSX file")
    p.add_argument("dataset", choices=["recipients"])
    p.add_argument("file")
    p.add_argument("--region", help="scope of the import (default: MZ_NODE_REGION)")
    p.add_argument("--sub", help="who is importing, for the audit log (default: cli:<user>)")
    p.add_argument("--strict", action="store_true", help="exit 1 when any row is rejected")
    p.set_defaults(handler=_run)
