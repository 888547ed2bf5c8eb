"""Who a resource serves: pure checks of a person against a resource's region, need types,
eligibility and capacity, each answer with the reasons a social worker reads.

A resource's ``region_code`` is the area it serves: a county's resource serves every township
and village of the county. Nearer resources rank first (township before county before city),
then those with more free places (no capacity limit counts as the most).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.care.taxonomy import NEED_TYPES
from app.security.scope import in_scope, region_level, region_prefix

LEVEL_NAMES = {0: "intact", 1: "mild", 2: "moderate", 3: "severe", 4: "total"}


@dataclass(frozen=True, slots=True)
class Eligibility:
    categories: tuple[str, ...] | None = None
    min_age: int | None = None
    max_age: int | None = None
    assessment_levels: tuple[int, ...] | None = None
    disability: bool | None = None

    @property
    def is_open(self) -> bool:
        return (
            not self.categories
            and self.min_age is None
            and self.max_age is None
            and not self.assessment_levels
            and not self.disability
        )


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What eligibility is checked against: the household category (None outside the
    assistance register), age from the ID number, latest assessment level, disability grade."""

    category: str | None
    age: int
    level: int | None
    disability_grade: int | None


def check(rule: Eligibility, person: PersonFacts) -> tuple[list[str], list[str]]:
    """``(reasons met, reasons failed)``: eligible when nothing failed."""
    met: list[str] = []
    failed: list[str] = []
    if rule.categories:
        wanted = ", ".join(rule.categories)
        if person.category in rule.categories:
            met.append(f"household category {person.category} is among {wanted}")
        else:
            found = person.category or "none (not in the assistance register)"
            failed.append(f"household category {found} is not among {wanted}")
    if rule.min_age is not None or rule.max_age is not None:
        low = str(rule.min_age) if rule.min_age is not None else "any"
        high = str(rule.max_age) if rule.max_age is not None else "any"
        inside = (rule.min_age is None or person.age >= rule.min_age) and (
            rule.max_age is None or person.age <= rule.max_age
        )
        (met if inside else failed).append(
            f"age {person.age} is {'within' if inside else 'outside'} {low}–{high}"
        )
    if rule.assessment_levels:
        wanted = ", ".join(str(level) for level in rule.assessment_levels)
        if person.level is not None and person.level in rule.assessment_levels:
            met.append(
                f"latest assessment level {person.level} ({LEVEL_NAMES.get(person.level, '')}) "
                f"is among {wanted}"
            )
        else:
            found = "none" if person.level is None else str(person.level)
            failed.append(f"latest assessment level {found} is not among {wanted}")
    if rule.disability:
        if person.disability_grade is not None:
            met.append(f"has a disability (grade {person.disability_grade})")
        else:
            failed.append("no disability recorded; the resource serves disabled people")
    if not met and not failed:
        met.append("open to everyone (no eligibility conditions)")
    return met, failed


def serves_region(resource_region: str, person_region: str) -> bool:
    """Whether a resource of ``resource_region`` serves a person of ``person_region``."""
    return in_scope(resource_region, person_region)


def distance(resource_region: str, person_region: str) -> int:
    """Levels between the person's region and the resource's (0: the same region)."""
    return len(_segments(person_region)) - len(_segments(resource_region))


def _segments(code: str) -> list[int]:
    length = len(region_prefix(code))
    return [end for end in (2, 4, 6, 9, 12) if end <= length]


def region_reason(resource_region: str, person_region: str) -> str:
    level = region_level(resource_region)
    if distance(resource_region, person_region) == 0:
        return f"serves the person's own {level} {resource_region}"
    return f"serves {level} {resource_region}, which contains the person's region {person_region}"


def type_reason(need_type: str) -> str:
    return f"provides {need_type} ({NEED_TYPES.get(need_type, need_type)})"


def capacity_reason(capacity: int | None, in_use: int) -> str:
    if capacity is None:
        return "no capacity limit"
    return f"{capacity - in_use} of {capacity} places free"


def free_places(capacity: int | None, in_use: int) -> int | None:
    """Free places, or None for no limit."""
    return None if capacity is None else max(capacity - in_use, 0)


def rank_key(resource_region: str, person_region: str, free: int | None, name: str) -> tuple[int, int, str]:
    """Nearest first, then the most free places (no limit first), then by name."""
    return (distance(resource_region, person_region), -(free if free is not None else 1 << 30), name)
