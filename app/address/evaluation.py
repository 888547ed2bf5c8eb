"""Measuring parse and match quality on a labelled set of free-text addresses, per category and
per engine.

An *evaluation set* is a CSV file (UTF-8) with one text per row:

- ``text`` — the free text, as someone wrote it;
- ``category`` — what kind of writing it shows (``latin``, ``homophone``, ``village`` …);
  optional, ``all`` when absent;
- the expected answer, either ``expected`` — the ``ref`` of a row of the register file — or
  ``expected_full_name`` — the standard full name; empty when the address is *not* in the
  register (the text must then not be answered: no ``exact`` candidate, ``matched`` false). A
  text that fits several rows equally (``ambiguous``) has no one expected row: with one, it
  counts as a top-1 miss whatever the order of the tied candidates;
- optionally the expected components (``region_code``, ``road``, ``house_number`` …), for
  per-component parse accuracy.

A *register* is an address import file (the columns of ``POST /api/v1/addresses/import``) with an
optional ``ref`` column naming each row. It is imported into each database before the texts are
matched (rows already there count as unchanged).

Reported: top-1 and top-5 accuracy per category (texts with an expected address), the answers
to texts about absent addresses, how many texts were answered as ambiguous, the misses, and —
over several engines — every text whose first candidate differs between them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.address import importer, places
from app.address.components import ComponentError, match_key, normalize_components
from app.address.matcher import Matcher, is_ambiguous, is_matched
from app.address.repository import AddressRepository
from app.address.schemas import AddressImportReport
from app.core.config import Settings
from app.core.db import Database
from app.core.tabular import read_csv
from app.core.validators import normalize_region_code
from app.ledger.actor import Actor
from app.ledger.unit_of_work import UnitOfWork
from app.security.principal import Principal

COMPARED = (
    "region_code",
    "community",
    "village_group",
    "road",
    "house_number",
    "compound",
    "building",
    "unit",
    "floor",
    "room",
)
ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class EvalCase:
    text: str
    category: str
    expected_ref: str
    expected_full_name: str
    expected: dict[str, str]
    """Expected components (those the set gives)."""


@dataclass(slots=True)
class Tally:
    cases: int = 0
    top1: int = 0
    top5: int = 0

    @property
    def top1_accuracy(self) -> float:
        return self.top1 / self.cases if self.cases else 0.0

    @property
    def top5_accuracy(self) -> float:
        return self.top5 / self.cases if self.cases else 0.0


@dataclass(slots=True)
class ComponentTally:
    correct: int = 0
    given: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.given if self.given else 1.0


@dataclass(frozen=True, slots=True)
class Miss:
    text: str
    category: str
    expected: str
    got: str
    kind: str
    confidence: float


@dataclass(slots=True)
class EvalReport:
    engine: str
    overall: Tally = field(default_factory=Tally)
    categories: dict[str, Tally] = field(default_factory=dict)
    absent: int = 0
    absent_claimed_exact: int = 0
    absent_matched: int = 0
    ambiguous: int = 0
    """Texts that fit several addresses equally (answered as ambiguous)."""
    components: dict[str, ComponentTally] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    """The first candidate's full name for every text, in the set's order ("" for none)."""

    @property
    def top1_accuracy(self) -> float:
        return self.overall.top1_accuracy

    @property
    def top5_accuracy(self) -> float:
        return self.overall.top5_accuracy


def load_cases(path: Path) -> list[EvalCase]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [
            EvalCase(
                text=row["text"],
                category=(row.get("category") or "all").strip(),
                expected_ref=(row.get("expected") or "").strip(),
                expected_full_name=(row.get("expected_full_name") or "").strip(),
                expected={c: row[c] for c in COMPARED if c in row},
            )
            for row in csv.DictReader(f)
        ]


def register_for(path: Path) -> Path | None:
    """The register beside an evaluation set: ``x.csv`` → ``x.register.csv``."""
    candidate = path.with_name(path.stem + ".register.csv")
    return candidate if candidate.is_file() else None


def evaluator(settings: Settings) -> Principal:
    return Principal(sub="system:evaluation", roles=("admin",), region=settings.node_region)


def _register_rows(data: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    yield from read_csv(io.BytesIO(data), importer.ALIASES)


async def build_register(db: Database, settings: Settings, data: bytes) -> AddressImportReport:
    """Import a register file (rows already present come back as unchanged)."""
    async with db.writer() as session, session.begin():
        uow = UnitOfWork(
            session, Actor.system("evaluation", settings.node_region), node_region=settings.node_region
        )
        return await importer.import_rows(uow, evaluator(settings), _register_rows(data))


async def register_names(db: Database, data: bytes) -> dict[str, str]:
    """``ref`` → the standard full name of that register row, as the database holds it."""
    keys: dict[str, str] = {}
    for _line, row in _register_rows(data):
        ref = (row.get("ref") or "").strip()
        if not ref:
            continue
        try:
            region = normalize_region_code(row.get("region_code", ""))
            parts = normalize_components(dict(row))
        except (ValueError, ComponentError):
            continue
        keys[ref] = match_key(region, parts)
    out: dict[str, str] = {}
    async with db.reader() as session:
        repo = AddressRepository(session)
        for ref, key in keys.items():
            found = await repo.by_match_key(key)
            if found is not None:
                out[ref] = found.full_name
    return out


async def evaluate(
    db: Database, settings: Settings, cases: list[EvalCase], names: dict[str, str], engine: str
) -> EvalReport:
    report = EvalReport(engine=engine, components={c: ComponentTally() for c in COMPARED})
    async with db.reader() as session:
        gazetteer = await places.gazetteer(session, settings.node_region)
        matcher = Matcher(session, gazetteer, evaluator(settings).region)
        for case in cases:
            parsed, ranked = await matcher.match(case.text, 5)
            for name, wanted in case.expected.items():
                got = parsed.value(name)
                if wanted or got:
                    component = report.components[name]
                    component.given += 1
                    component.correct += wanted == got
            report.first.append(ranked[0].address.full_name if ranked else "")
            ambiguous = is_ambiguous(ranked)
            report.ambiguous += ambiguous
            expected = names.get(case.expected_ref, "") if case.expected_ref else case.expected_full_name
            if case.expected_ref and not expected:
                raise ValueError(f"the register has no row with ref {case.expected_ref!r}")
            if not expected:
                report.absent += 1
                report.absent_claimed_exact += any(r.kind == "exact" for r in ranked)
                report.absent_matched += is_matched(ranked)
                if is_matched(ranked):
                    top = ranked[0]
                    report.misses.append(
                        Miss(
                            case.text,
                            ABSENT,
                            "(not matched)",
                            top.address.full_name,
                            top.kind,
                            top.confidence,
                        )
                    )
                continue
            names_found = [r.address.full_name for r in ranked]
            for tally in (report.overall, report.categories.setdefault(case.category, Tally())):
                tally.cases += 1
                tally.top1 += bool(names_found) and names_found[0] == expected and not ambiguous
                tally.top5 += expected in names_found
            if not names_found or names_found[0] != expected or ambiguous:
                top_kind = "ambiguous" if ambiguous else ranked[0].kind if ranked else ""
                top_conf = ranked[0].confidence if ranked else 0.0
                got = names_found[0] if names_found else ""
                report.misses.append(Miss(case.text, case.category, expected, got, top_kind, top_conf))
    return report


def differing(cases: list[EvalCase], reports: list[EvalReport]) -> list[tuple[str, list[str]]]:
    """Texts whose first candidate is not the same on every engine."""
    out: list[tuple[str, list[str]]] = []
    for i, case in enumerate(cases):
        firsts = [r.first[i] for r in reports]
        if len(set(firsts)) > 1:
            out.append((case.text, firsts))
    return out


def format_report(
    cases: list[EvalCase],
    reports: list[EvalReport],
    imported: list[AddressImportReport | None],
    misses: int = 20,
) -> str:
    lines = [f"evaluation set: {len(cases)} texts"]
    for report, done in zip(reports, imported, strict=True):
        if done is not None:
            lines.append(
                f"register on {report.engine}: {done.inserted} inserted, {done.unchanged} already "
                f"there, {done.rejected} rejected"
            )
            lines.extend(f"  line {r.line}: {r.reason}" for r in done.rejections[:10])
    lines.append("")
    head = f"{'category':<12}{'texts':>6}"
    for report in reports:
        head += f"{report.engine + ' top-1':>20}{'top-5':>8}"
    lines.append(head)
    categories = sorted({c for r in reports for c in r.categories})
    for category in [*categories, "all"]:
        tallies = [r.overall if category == "all" else r.categories.get(category, Tally()) for r in reports]
        row = f"{category:<12}{tallies[0].cases:>6}"
        for t in tallies:
            row += f"{t.top1_accuracy:>20.1%}{t.top5_accuracy:>8.1%}"
        lines.append(row)
    if any(r.absent for r in reports):
        lines.append("")
        for r in reports:
            lines.append(
                f"{ABSENT} on {r.engine}: {r.absent} texts name an address the register lacks; "
                f"answered as exact: {r.absent_claimed_exact}; matched: {r.absent_matched}"
            )
    if any(r.ambiguous for r in reports):
        lines.append("")
        lines.extend(
            f"ambiguous on {r.engine}: {r.ambiguous} texts fit several addresses equally (not answered)"
            for r in reports
        )
    if any(t.given for r in reports for t in r.components.values()):
        lines.append("")
        lines.append(f"{'component':<14}" + "".join(f"{r.engine + ' parse':>20}" for r in reports))
        for name in COMPARED:
            if reports[0].components[name].given:
                lines.append(
                    f"{name:<14}" + "".join(f"{r.components[name].accuracy:>20.1%}" for r in reports)
                )
    for r in reports:
        if r.misses:
            lines.append("")
            lines.append(f"misses on {r.engine} ({len(r.misses)}):")
            for miss in r.misses[:misses]:
                lines.append(
                    f"  [{miss.category}] {miss.text}\n      expected {miss.expected}\n"
                    f"      got      {miss.got or '-'} ({miss.kind or 'no candidate'}, {miss.confidence:.2f})"
                )
    if len(reports) > 1:
        diff = differing(cases, reports)
        lines.append("")
        lines.append(f"texts whose first candidate differs between engines: {len(diff)}")
        for text, firsts in diff[:misses]:
            lines.append(f"  {text}")
            lines.extend(f"      {r.engine}: {f or '-'}" for r, f in zip(reports, firsts, strict=True))
    return "\n".join(lines)
