"""Rules on who makes up a household: exactly one head, no ID number twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    loc: tuple[str | int, ...]
    msg: str


def check_members(relations: Sequence[str], id_numbers: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    heads = [i for i, relation in enumerate(relations) if relation == "head"]
    if not heads:
        problems.append(
            Problem(("body", "members"), "a household needs exactly one member with relation 'head'")
        )
    for extra in heads[1:]:
        problems.append(Problem(("body", "members", extra, "relation"), "a household has only one head"))
    seen: dict[str, int] = {}
    for i, number in enumerate(id_numbers):
        if number in seen:
            problems.append(
                Problem(
                    ("body", "members", i, "id_number"),
                    f"the same ID number is given for member {seen[number]}",
                )
            )
        else:
            seen[number] = i
    return problems
