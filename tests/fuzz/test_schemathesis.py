"""Property-based fuzzing of the whole API from its OpenAPI schema (schemathesis), with valid
tokens of each role against a real server: no 5xx, no response that breaks the schema, no
undocumented status code."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.core.config import Settings
from app.security.tokens import mint
from tests.databases import TestDatabase, engine_name

ROOT = Path(__file__).resolve().parents[2]
schema = schemathesis.openapi.from_path(str(ROOT / "openapi" / "openapi.json"))
EXAMPLES = int(os.environ.get("MZ_FUZZ_EXAMPLES", "5"))
# What the service promises: no server errors, every status documented, every body and media
# type as the schema says. (Whether a schema-valid request must succeed is not among them: an
# opaque cursor is any string to the schema but only a cursor this node issued is accepted.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
ROLES = {
    "admin": ("admin", "330500"),
    "operator": ("operator", "330502"),
    "viewer": ("viewer", "330500"),
    "auditor": ("auditor", "330000"),
    "sync": ("sync", "330500"),
}


def _free_port() -> int:

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:

    db = TestDatabase(engine_name())
    url = asyncio.run(db.create())
    port = _free_port()
    env = {
        **os.environ,
        "MZ_DATABASE_URL": url,
        "MZ_ENV": "test",
        "MZ_LOG_LEVEL": "WARNING",
        "MZ_AUTH_FAIL_LIMIT": "1000000",
    }
    log = Path(os.environ.get("MZ_FUZZ_LOG", os.devnull)).open("ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("the service did not become ready")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        asyncio.run(db.drop())


def _headers(role: str) -> dict[str, str]:
    name, region = ROLES[role]
    token = mint(Settings(_env_file=None), sub=f"fuzz-{role}", roles=[name], region=region)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("role", sorted(ROLES))
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any], role: str, server: str) -> None:
    case.call_and_validate(base_url=server, headers=_headers(role), checks=CHECKS)
