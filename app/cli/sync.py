"""``sync pull PEER [--follow]``, ``sync verify PEER``, ``sync new-epoch``, ``sync prune``."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import uuid
from datetime import timedelta

from tqdm import tqdm

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.logs import configure_logging
from app.core.migrations import head_revision
from app.core.types import utcnow
from app.models import import_all_models
from app.security.pii import PiiCipher
from app.sync.client import PeerClient
from app.sync.exceptions import SyncError
from app.sync.puller import Progress, Puller
from app.sync.reconcile import reconcile
from app.sync.repository import SyncRepository
from app.sync.service import find_peer


async def _pull(settings: Settings, name: str, follow: bool) -> int:
    db = Database(settings)
    peer = find_peer(settings, name)
    bar = tqdm(unit="rec", desc=f"pull {name}", file=sys.stderr)

    def on_page(progress: Progress) -> None:
        bar.update(progress.received - bar.n)
        bar.set_postfix(pages=progress.pages, applied=progress.applied)

    puller = Puller(
        db, settings, PiiCipher.from_settings(settings), peer, schema_version=head_revision(), on_page=on_page
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        record = await puller.pull(follow=follow, stop=stop)
        print(json.dumps(record.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return 0
    except SyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        bar.close()
        await puller.client.aclose()
        await db.dispose()


async def _verify(settings: Settings, name: str) -> int:
    db = Database(settings)
    peer = find_peer(settings, name)
    client = PeerClient(peer, timeout_s=settings.sync_timeout_s, max_retries=settings.sync_max_retries)
    try:
        result = await reconcile(db, settings, peer, client, head_revision())
    except SyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.aclose()
        await db.dispose()
    print(
        json.dumps(
            {
                "ok": result.ok,
                "chain_ok": result.chain_ok,
                "witness": result.witness,
                "witness_found": result.witness_found,
                "digests_equal": result.digests_equal,
                "differences": result.differences,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0 if result.ok else 1


async def _new_epoch(settings: Settings) -> int:
    db = Database(settings)
    try:
        async with db.writer() as session, session.begin():
            await SyncRepository(session).set_state("epoch_salt", uuid.uuid4().hex)
    finally:
        await db.dispose()
    print("new epoch: pullers of this node will start a full resync")
    return 0


async def _prune(settings: Settings, days: int) -> int:
    if days <= 0:
        print("nothing to prune: retention is 0 (keep everything)")
        return 0
    db = Database(settings)
    try:
        async with db.writer() as session, session.begin():
            repo = SyncRepository(session)
            through = await repo.prune(utcnow() - timedelta(days=days))
            if through is not None:
                await repo.set_state("pruned_through", f"{through.xid}:{through.seq}")
    finally:
        await db.dispose()
    print(f"pruned through {through}" if through else "nothing old enough to prune")
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    import_all_models()
    if args.action == "pull":
        return asyncio.run(_pull(settings, args.peer, args.follow))
    if args.action == "verify":
        return asyncio.run(_verify(settings, args.peer))
    if args.action == "new-epoch":
        return asyncio.run(_new_epoch(settings))
    return asyncio.run(
        _prune(settings, args.days if args.days is not None else settings.change_log_retention_days)
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("sync", help="pull from peers, verify them, manage the change log")
    actions = p.add_subparsers(dest="action", required=True)
    pull = actions.add_parser("pull", help="pull a peer's changes until caught up")
    pull.add_argument("peer")
    pull.add_argument("--follow", action="store_true", help="keep pulling until interrupted")
    pull.set_defaults(handler=_run)
    verify = actions.add_parser("verify", help="check a peer's audit chain and compare digests")
    verify.add_argument("peer")
    verify.set_defaults(handler=_run)
    epoch = actions.add_parser("new-epoch", help="after restoring this database from a backup")
    epoch.set_defaults(handler=_run)
    prune = actions.add_parser("prune", help="delete change-log rows older than the retention")
    prune.add_argument("--days", type=int)
    prune.set_defaults(handler=_run)
