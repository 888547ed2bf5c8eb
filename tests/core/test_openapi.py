from __future__ import annotations

import json
import re
from pathlib import Path

from app.cli.admin import openapi_document

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_matches_the_app() -> None:
    committed = (ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi_document(), "openapi/openapi.json is stale: run python -m app openapi"


def test_operation_ids_are_clean_and_unique() -> None:

    doc = json.loads(openapi_document())
    ids = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    for op_id in ids:
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", op_id), op_id


def test_every_operation_is_tagged_and_documents_errors() -> None:

    doc = json.loads(openapi_document())
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op.get("tags"), f"{method} {path} has no tag"
            if path.startswith("/api/"):
                assert "401" in op["responses"], f"{method} {path} does not document 401"
