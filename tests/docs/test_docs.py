"""Every command in the README and in docs/ runs against a real node, and every response the
documents show is what the node answers (see tests/docs/runner.py for the rules)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.databases import engine_name
from tests.docs.runner import blocks, commands_run_elsewhere, run_document, shell_env
from tests.sync.cluster import Cluster, ClusterNode

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
# The documents whose readers follow along in a shell: each must hold commands.
WALKTHROUGHS = {"README.md", "api.md", "sync.md", "operations.md", "architecture.md"}
RUNNABLE = [
    d for d in DOCUMENTS if any(b.kind == "sh" and b.not_run is None for b in blocks(d.read_text("utf-8")))
]
# Where the commands a document marks "not run" are run instead.
ELSEWHERE = [ROOT / "scripts" / "container-smoke", ROOT / ".ci" / "run"]

pytestmark = pytest.mark.slow


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[ClusterNode]:
    cluster = Cluster()
    # The documents speak of a city node; tokens minted in them must be accepted by it.
    city = cluster.add("huzhou", "330500", MZ_WORKERS="1", MZ_METRICS_TOKEN=secrets.token_urlsafe(48))
    try:
        await cluster.start()
        yield city
    finally:
        await cluster.close()


def test_the_walkthroughs_hold_commands():
    assert {d.name for d in RUNNABLE} >= WALKTHROUGHS


@pytest.mark.parametrize("document", RUNNABLE, ids=[p.name for p in RUNNABLE])
async def test_every_command_of_the_document_runs(document: Path, node: ClusterNode, tmp_path: Path):
    # The reader's checkout: the virtualenv, the scripts and the compose file.
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    for name in ("scripts", "compose.yaml", "pyproject.toml"):
        (tmp_path / name).symlink_to(ROOT / name)
    node_env = {k: v for k, v in node.env().items() if k.startswith("MZ_")}
    env = shell_env({**node_env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    ran = run_document(document, env, node.base_url, tmp_path, engine_name())
    assert ran > 0, f"{document.name}: no command ran"


def test_commands_not_run_here_are_run_elsewhere():
    elsewhere = "\n".join(p.read_text(encoding="utf-8") for p in ELSEWHERE)
    for document in DOCUMENTS:
        for command in commands_run_elsewhere(document):
            assert command in elsewhere, f"{document.name}: {command!r} is run nowhere"
