"""Argument parsing and dispatch."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from app.cli import admin, evaluate, imports, serve, sync
from app.core.config import get_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description="mzbrain civil-affairs data service")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.register(commands)
    admin.register(commands)
    imports.register(commands)
    sync.register(commands)
    evaluate.register(commands)
    return parser


def settings_errors(exc: ValidationError) -> list[str]:
    """One line per setting at fault, named as in the environment; never the values given
    (they may be secrets)."""
    lines = []
    for error in exc.errors():
        loc = error.get("loc") or ()
        name = f"MZ_{str(loc[0]).upper()}" if loc else "settings"
        lines.append(f"{name}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command != "openapi":  # the schema is built from a throwaway development node
            # Every command that works with this node's data refuses what serve refuses.
            get_settings().check_production()
        result: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except ValidationError as exc:
        if exc.title != "Settings":
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("error: invalid settings:\n  " + "\n  ".join(settings_errors(exc)), file=sys.stderr)
        return 2
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return result
