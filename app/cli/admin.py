"""``openapi`` and ``token``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.core.config import Settings, get_settings
from app.security.tokens import mint, parse_ttl

DEFAULT_OPENAPI = Path("openapi/openapi.json")


def openapi_document() -> str:
    from app.main import create_app

    # The schema does not depend on settings; build it from a throwaway in-memory node.
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", _env_file=None))
    return json.dumps(app.openapi(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _openapi(args: argparse.Namespace) -> int:
    text = openapi_document()
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if args.check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            print(f"{out} differs from the app's schema; run python -m app openapi", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def _token(args: argparse.Namespace) -> int:
    settings = get_settings()
    roles = [r for part in args.roles for r in part.split(",") if r]
    ttl = parse_ttl(args.ttl) if args.ttl else None
    print(mint(settings, sub=args.sub, roles=roles, region=args.region, name=args.name or "", ttl=ttl))
    return 0


def _rotate(args: argparse.Namespace) -> int:
    import asyncio

    from app.core.db import Database
    from app.models import import_all_models
    from app.security.pii import PiiCipher
    from app.security.rotation import rotate

    settings = get_settings()
    import_all_models()

    async def run() -> dict[str, int]:
        db = Database(settings)
        try:
            return await rotate(db, PiiCipher.from_settings(settings), batch=args.batch)
        finally:
            await db.dispose()

    counts = asyncio.run(run())
    for name, count in counts.items():
        print(f"{name}: {count} re-encrypted")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    o = commands.add_parser("openapi", help="write openapi/openapi.json from the app")
    o.add_argument("--out", default=str(DEFAULT_OPENAPI), help="file to write, or - for stdout")
    o.add_argument("--check", action="store_true", help="exit 1 when the file differs")
    o.set_defaults(handler=_openapi)

    t = commands.add_parser("token", help="mint a bearer token signed with MZ_JWT_SECRET")
    t.add_argument("--sub", required=True)
    t.add_argument("--roles", required=True, nargs="+", help="viewer operator admin auditor sync")
    t.add_argument("--region", required=True, help="scope region code, e.g. 330502")
    t.add_argument("--name")
    t.add_argument("--ttl", help="lifetime: 90s, 15m, 8h, 30d (default MZ_JWT_DEFAULT_TTL_S)")
    t.set_defaults(handler=_token)

    r = commands.add_parser("rotate-pii-key", help="re-encrypt personal data under MZ_PII_ACTIVE_KEY")
    r.add_argument("--batch", type=int, default=500)
    r.set_defaults(handler=_rotate)
