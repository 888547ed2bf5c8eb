"""The service as ``bench.writes`` runs it for its baseline: every write path unchanged except
that no audit event is appended, so creates write the record and its change-log rows only.

Used only by the benchmark (a uvicorn factory in a process of its own); never served."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.cli.serve import worker_app
from app.ledger import audit


async def _no_event(*_args: Any, **_kwargs: Any) -> str:
    return ""


def chainless_app() -> FastAPI:
    audit.append = _no_event  # type: ignore[assignment]
    return worker_app()
