"""The parse and match evaluation: the synthetic register of
:func:`app.address.synthetic.eval_register` is imported into a database, every text of the
evaluation set (``tests/data/address_eval.csv``) is parsed and matched, and the results are
compared with what the set expects.

- *parse accuracy* per component: the share of texts where the parser read exactly what the
  set expects — the value when the text gives the component, nothing when it does not;
- *top-1 / top-5*: the share of texts whose standard address is the first / among the first
  five candidates of the matcher.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.address import importer, places
from app.address.matcher import Matcher
from app.address.schemas import AddressImportReport
from app.address.synthetic import eval_register
from app.audit.actor import Actor
from app.core.config import Settings
from app.core.db import Database
from app.core.unit_of_work import UnitOfWork
from app.security.principal import Principal

COMPARED = (
    "region_code",
    "community",
    "road",
    "house_number",
    "compound",
    "building",
    "unit",
    "floor",
    "room",
)


@dataclass(frozen=True, slots=True)
class EvalCase:
    text: str
    expected_full_name: str
    expected: dict[str, str]


@dataclass(slots=True)
class ComponentTally:
    correct: int = 0
    given: int = 0
    """Texts that give the component."""

    @property
    def accuracy(self) -> float:
        return self.correct / self.given if self.given else 1.0


@dataclass(slots=True)
class EvalReport:
    cases: int = 0
    top1: int = 0
    top5: int = 0
    parse_exact: int = 0
    components: dict[str, ComponentTally] = field(
        default_factory=lambda: {c: ComponentTally() for c in COMPARED}
    )
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    """(text, expected, first candidate) of top-1 misses."""

    @property
    def top1_accuracy(self) -> float:
        return self.top1 / self.cases if self.cases else 0.0

    @property
    def top5_accuracy(self) -> float:
        return self.top5 / self.cases if self.cases else 0.0


def load_cases(path: Path) -> list[EvalCase]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            EvalCase(row["text"], row["expected_full_name"], {c: row.get(c, "") for c in COMPARED})
            for row in csv.DictReader(f)
        ]


def evaluator(settings: Settings) -> Principal:
    return Principal(sub="system:evaluation", roles=("admin",), region=settings.node_region)


async def build_register(db: Database, settings: Settings) -> AddressImportReport:
    """Import the synthetic register (already present rows come back as unchanged)."""

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for line, address in enumerate(eval_register(), start=2):
            yield line, address.csv_row()

    async with db.writer() as session, session.begin():
        uow = UnitOfWork(
            session, Actor.system("evaluation", settings.node_region), node_region=settings.node_region
        )
        return await importer.import_rows(uow, evaluator(settings), rows())


async def evaluate(db: Database, settings: Settings, cases: list[EvalCase]) -> EvalReport:
    report = EvalReport()
    async with db.reader() as session:
        gazetteer = await places.gazetteer(session, settings.node_region)
        matcher = Matcher(session, gazetteer, evaluator(settings).region)
        for case in cases:
            parsed, ranked = await matcher.match(case.text, 5)
            report.cases += 1
            exact = True
            for name in COMPARED:
                expected, got = case.expected[name], parsed.value(name)
                tally = report.components[name]
                if expected or got:
                    tally.given += 1
                    tally.correct += expected == got
                exact = exact and expected == got
            report.parse_exact += exact
            names = [r.address.full_name for r in ranked]
            report.top1 += bool(names) and names[0] == case.expected_full_name
            report.top5 += case.expected_full_name in names
            if not names or names[0] != case.expected_full_name:
                report.misses.append((case.text, case.expected_full_name, names[0] if names else ""))
    return report


def format_report(report: EvalReport, imported: AddressImportReport | None = None, misses: int = 0) -> str:
    lines: list[str] = []
    if imported is not None:
        lines.append(
            f"register: {imported.inserted} inserted, {imported.unchanged} already there, "
            f"{imported.rejected} rejected"
        )
    lines.append(f"evaluation set: {report.cases} texts")
    lines.append("")
    lines.append(f"{'component':<14}{'accuracy':>10}{'texts':>8}")
    for name, tally in report.components.items():
        lines.append(f"{name:<14}{tally.accuracy:>10.1%}{tally.given:>8}")
    exact = report.parse_exact / report.cases if report.cases else 0.0
    lines.append(f"{'all components':<14}{exact:>10.1%}{report.cases:>8}")
    lines.append("")
    lines.append(f"match top-1: {report.top1_accuracy:.1%} ({report.top1}/{report.cases})")
    lines.append(f"match top-5: {report.top5_accuracy:.1%} ({report.top5}/{report.cases})")
    for text, expected, got in report.misses[:misses]:
        lines.append(f"  miss: {text!r}\n        expected {expected}\n        got      {got or '-'}")
    return "\n".join(lines)
