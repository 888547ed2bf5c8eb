"""What a serving worker does once before it serves, checked in a worker-like process of its
own (a frozen heap would outlive the test process's other apps)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.cli.serve import FULL_COLLECTION_EVERY

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio, gc, json, sys
from app.cli.serve import worker_app

async def main():
    app = worker_app()
    before = gc.get_freeze_count()
    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()
        print(json.dumps({
            "before": before, "frozen": frozen, "pinyin": "pypinyin" in sys.modules,
            "threshold": gc.get_threshold(),
        }))

asyncio.run(main())
"""


def test_a_worker_loads_the_pinyin_tables_and_freezes_its_heap_before_serving(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MZ_")}
    env |= {"PYTHONPATH": str(ROOT), "MZ_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/node.db"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == 0
    # The modules, routes and tables built at start-up are out of the collector's reach.
    assert seen["frozen"] > 100_000
    assert seen["pinyin"] is True
    # Full collections a tenth as often as Python's default once the heap is frozen.
    assert seen["threshold"][2] == FULL_COLLECTION_EVERY == 100
