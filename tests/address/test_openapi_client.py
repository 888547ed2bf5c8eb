"""The committed OpenAPI schema is valid, every ``$ref`` resolves, and the TypeScript types a
front-end team generates from it with ``openapi-typescript`` type-check with ``tsc``.

The TypeScript test installs ``openapi-typescript`` and ``typescript`` from the npm registry
into a temporary folder (nothing is cached in the repository). It needs Node (``node``, ``npm``
and ``npx``): it skips where they are absent, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from tests.databases import IN_CI

SCHEMA = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"

USAGE = """
import type { components, paths } from "./schema";

type MatchResult = components["schemas"]["MatchResult"];
type Candidate = components["schemas"]["MatchCandidate"];
type PlatePage = paths["/p/{plate_code}"]["get"];

export function firstExact(result: MatchResult): Candidate | undefined {
  const kinds: Array<Candidate["match_kind"]> = ["exact", "component", "fuzzy"];
  return result.matched && kinds.includes("exact")
    ? result.candidates.find((c) => c.match_kind === "exact" && c.confidence >= 0.8)
    : undefined;
}

export type PlateProblem = PlatePage["responses"][422]["content"]["application/problem+json"];
export const status: PlateProblem["status"] = 422;
"""

TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "target": "ES2020",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "skipLibCheck": False,
    },
    "files": ["schema.d.ts", "usage.ts"],
}


def test_the_committed_schema_is_valid_and_every_ref_resolves() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validate(schema)
    text = SCHEMA.read_text(encoding="utf-8")
    defined = set(schema["components"]["schemas"])
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in defined, ref


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_generated_typescript_client_type_checks(tmp_path: Path) -> None:
    tools = [shutil.which(name) for name in ("node", "npm", "npx")]
    if not all(tools):
        if IN_CI:
            pytest.fail("Node (node, npm, npx) is required under CI=true")
        pytest.skip("Node is not installed")
    (tmp_path / "package.json").write_text('{"name": "mzbrain-client-check", "private": true}', "utf-8")
    _run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "openapi-typescript@7",
            "typescript@5",
        ],
        tmp_path,
    )
    shutil.copy(SCHEMA, tmp_path / "openapi.json")
    _run(["npx", "--no-install", "openapi-typescript", "openapi.json", "-o", "schema.d.ts"], tmp_path)
    generated = (tmp_path / "schema.d.ts").read_text(encoding="utf-8")
    assert "MatchCandidate" in generated
    assert '"/p/{plate_code}"' in generated
    (tmp_path / "usage.ts").write_text(USAGE, encoding="utf-8")
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG), encoding="utf-8")
    _run(["npx", "--no-install", "tsc", "--noEmit", "-p", "."], tmp_path)
