"""Run the commands of a Markdown document and compare their output with the responses it
shows.

A document is read as a sequence of fenced blocks:
- ```` ```sh ```` — commands, run in order in bash (with `set -euo pipefail`); variables set in one
  block are seen by the next. `http://127.0.0.1:8000` is replaced by the node under test.
- ```` ```json ```` right after a ``sh`` block — what its output must look like: every documented
  key at every level (lists: each documented item against the item at the same position; an
  answer may hold more keys than a document shows), with the same values, except that a
  documented string containing `…` matches any string, and a bare `"…"` any number, string,
  boolean or null.
- ```` ```text ```` right after a ``sh`` block — lines that occur in its output, in order.
- ```` ```http ```` right after a ``sh`` block (run with ``curl -si``) — the status line, the
  documented headers (same rule for values) and the body as for ``json``.
A ``sh`` block just after ``<!-- not run: REASON -->`` is shown but not run here (REASON says
where it runs instead, e.g. the container smoke test); one after ``<!-- engine: postgresql -->``
runs only when the node under test is on that engine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
NOT_RUN = re.compile(r"<!--\s*not run:\s*(.*?)\s*-->\s*$")
ENGINE = re.compile(r"<!--\s*engine:\s*(\w+)\s*-->\s*$")
DEFAULT_URL = "http://127.0.0.1:8000"
WILDCARD = "…"


@dataclass
class Block:
    kind: str
    text: str
    line: int
    not_run: str | None = None
    engine: str | None = None


def blocks(markdown: str) -> list[Block]:
    found: list[Block] = []
    for match in FENCE.finditer(markdown):
        before = markdown[: match.start()].rstrip().splitlines()
        reason = NOT_RUN.search(before[-1]) if before else None
        engine = ENGINE.search(before[-1]) if before else None
        line = markdown.count("\n", 0, match.start()) + 1
        found.append(
            Block(
                match.group(1),
                match.group(2),
                line,
                reason.group(1) if reason else None,
                engine.group(1) if engine else None,
            )
        )
    return found


class Mismatch(AssertionError):
    pass


def same_shape(documented: Any, actual: Any, where: str = "$") -> None:
    """Raise :class:`Mismatch` unless ``actual`` has what ``documented`` shows."""
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            raise Mismatch(f"{where}: documented an object, got {type(actual).__name__}")
        missing = sorted(set(documented) - set(actual))
        if missing:
            raise Mismatch(f"{where}: documented keys not in the answer: {missing}")
        for key, value in documented.items():
            same_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list):
        if not isinstance(actual, list):
            raise Mismatch(f"{where}: documented a list, got {type(actual).__name__}")
        if len(actual) < len(documented):
            raise Mismatch(f"{where}: documented {len(documented)} items, got {len(actual)}")
        for i, value in enumerate(documented):
            same_shape(value, actual[i], f"{where}[{i}]")
    elif documented == WILDCARD:
        if isinstance(actual, dict | list):
            raise Mismatch(f"{where}: documented a value, got {type(actual).__name__}")
    elif isinstance(documented, str) and WILDCARD in documented:
        if not isinstance(actual, str):
            raise Mismatch(f"{where}: documented a string, got {actual!r}")
    elif documented != actual or type(documented) is not type(actual):
        raise Mismatch(f"{where}: documented {documented!r}, got {actual!r}")


def last_json(output: str) -> Any:
    """The last JSON value a command printed (a command may print a line of its own before)."""
    lines = output.rstrip().splitlines()
    for start in range(len(lines) - 1, -1, -1):
        try:
            return json.loads("\n".join(lines[start:]))
        except json.JSONDecodeError:
            continue
    raise json.JSONDecodeError("no JSON in the output", output, 0)


def _value_matches(documented: str, actual: str) -> bool:
    if WILDCARD not in documented:
        return documented == actual
    pattern = ".*".join(re.escape(part) for part in documented.split(WILDCARD))
    return re.fullmatch(pattern, actual, re.S) is not None


def same_http(documented: str, actual: str) -> None:
    doc_head, _, doc_body = documented.replace("\r\n", "\n").partition("\n\n")
    # curl -si prints every response of the exchange; the last one is the answer.
    answer = actual.replace("\r\n", "\n")
    answer = answer[answer.rfind("HTTP/") :]
    head, _, body = answer.partition("\n\n")
    doc_lines, lines = doc_head.splitlines(), head.splitlines()
    doc_status, status = doc_lines[0].split()[1], lines[0].split()[1]
    if doc_status != status:
        raise Mismatch(f"status: documented {doc_status}, got {status} ({body[:300]})")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    for header in doc_lines[1:]:
        name, _, value = header.partition(":")
        got = headers.get(name.strip().lower())
        if got is None or not _value_matches(value.strip(), got):
            raise Mismatch(f"header {name.strip()}: documented {value.strip()!r}, got {got!r}")
    if doc_body.strip():
        same_shape(json.loads(doc_body), json.loads(body), "body")


def same_text(documented: str, actual: str) -> None:
    """Each documented line occurs in the output, in order (``…`` stands for anything)."""
    lines = actual.splitlines()
    at = 0
    for wanted in (line.strip() for line in documented.splitlines() if line.strip()):
        while at < len(lines) and not _value_matches(wanted, lines[at].strip()):
            at += 1
        if at == len(lines):
            raise Mismatch(f"no line {wanted!r} (in order) in the output")
        at += 1


def run_document(path: Path, env: dict[str, str], base_url: str, cwd: Path, engine: str) -> int:
    """Run every command of the document; return how many blocks ran. Raises on the first
    command that fails or answer that differs, naming the line of the document."""
    state = cwd / f".{path.stem}.env"
    state.write_text("")
    ran = 0
    pending: tuple[Block, str] | None = None
    for block in blocks(path.read_text(encoding="utf-8")):
        if block.engine is not None and block.engine != engine:
            pending = None
            continue
        if block.kind == "sh" and block.not_run is None:
            script = block.text.replace(DEFAULT_URL, base_url)
            wrapped = f"set -euo pipefail\nsource {state}\nset -a\n{script}\nset +a\nexport -p > {state}\n"
            run = subprocess.run(
                ["bash", "-c", wrapped],
                env=env,
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if run.returncode != 0:
                raise AssertionError(
                    f"{path.name}:{block.line}: exit {run.returncode}\n{script}"
                    f"\n--- stderr\n{run.stderr[-2000:]}\n--- stdout\n{run.stdout[-2000:]}"
                )
            pending = (block, run.stdout)
            ran += 1
            continue
        if block.kind in {"json", "http", "text"} and pending is not None:
            command, output = pending
            try:
                if block.kind == "json":
                    same_shape(json.loads(block.text), last_json(output))
                elif block.kind == "http":
                    same_http(block.text, output)
                else:
                    same_text(block.text, output)
            except (Mismatch, json.JSONDecodeError) as exc:
                raise AssertionError(
                    f"{path.name}:{block.line}: the answer to the command at line {command.line} "
                    f"differs from the document: {exc}\n--- output\n{output[-2000:]}"
                ) from None
        pending = None
    return ran


def commands_run_elsewhere(path: Path) -> list[str]:
    """The program and subcommand (``podman run``) of each command of the ``sh`` blocks marked
    as run elsewhere."""
    out: list[str] = []
    for block in blocks(path.read_text(encoding="utf-8")):
        if block.kind == "sh" and block.not_run is not None:
            out.extend(" ".join(line.split()[:2]) for line in block.text.splitlines() if line.strip())
    return out


def shell_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MZ_")}
    env.update(extra)
    return env
