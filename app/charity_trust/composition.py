"""Checks on what a filing says, across fields: trustees and their lead, trustors' credit codes,
the supervisor, the term and the dates. Each check returns problems with the field's location
(relative to the body), so the service can answer 422 at the exact field."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from app.charity_trust.schemas import SupervisorIn, TermIn, TrusteeIn, TrustorIn

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    loc: Loc
    msg: str


def check_trustees(trustees: Sequence[TrusteeIn], at: Loc = ("trustees",)) -> list[Problem]:
    problems: list[Problem] = []
    leads = sum(1 for t in trustees if t.lead)
    if leads != 1:
        problems.append(Problem(at, f"exactly one trustee must be the lead; {leads} are marked lead"))
    seen: set[str] = set()
    for i, trustee in enumerate(trustees):
        if trustee.uscc in seen:
            problems.append(Problem((*at, i, "uscc"), "this trustee is listed twice"))
        seen.add(trustee.uscc)
    return problems


def check_trustors(trustors: Sequence[TrustorIn], at: Loc = ("trustors",)) -> list[Problem]:
    problems: list[Problem] = []
    for i, trustor in enumerate(trustors):
        if trustor.kind == "organisation" and not trustor.uscc:
            problems.append(
                Problem((*at, i, "uscc"), "an organisation trustor needs its unified social credit code")
            )
        if trustor.kind == "person" and trustor.uscc:
            problems.append(Problem((*at, i, "uscc"), "a person has no unified social credit code"))
    return problems


def check_supervisor(supervisor: SupervisorIn | None, trustee_usccs: Collection[str]) -> list[Problem]:
    """The supervisor watches the trustees, so it cannot be one of them."""
    if supervisor is None or supervisor.uscc is None:
        return []
    if supervisor.uscc in trustee_usccs:
        return [Problem(("supervisor", "uscc"), "the supervisor cannot be one of the trustees")]
    return []


def check_term(term: TermIn, signed_on: date) -> list[Problem]:
    if term.perpetual:
        if term.end_on is not None:
            return [Problem(("term", "end_on"), "a perpetual trust has no end date")]
        return []
    if term.end_on is None:
        return [Problem(("term", "end_on"), "a fixed-term trust needs its end date")]
    if term.end_on <= signed_on:
        return [Problem(("term", "end_on"), "the term must end after the signing date")]
    return []


def check_signed_on(signed_on: date, today: date) -> list[Problem]:
    if signed_on > today:
        return [Problem(("signed_on",), "the signing date is in the future")]
    return []


def check_filing(
    filing_number: str | None, filed_on: date | None, signed_on: date, today: date
) -> list[Problem]:
    """A filing number and a filing date come together; the date lies between signing and today."""
    if filing_number and filed_on is None:
        return [Problem(("filed_on",), "a filing number needs its filing date")]
    if filed_on is not None and not filing_number:
        return [Problem(("filing_number",), "a filing date needs its filing number")]
    return check_filed_on(filed_on, signed_on, today) if filed_on is not None else []


def check_filed_on(filed_on: date, signed_on: date, today: date, at: Loc = ("filed_on",)) -> list[Problem]:
    if filed_on < signed_on:
        return [Problem(at, "the filing date is before the signing date")]
    if filed_on > today:
        return [Problem(at, "the filing date is in the future")]
    return []


def check_day(day: date, *, not_before: date, not_after: date, at: Loc, what: str) -> list[Problem]:
    """A date that must lie between two days (inclusive)."""
    if day < not_before:
        return [Problem(at, f"{what} is before {not_before.isoformat()}")]
    if day > not_after:
        return [Problem(at, f"{what} is after {not_after.isoformat()}")]
    return []


# Which fields each type of change filing carries.
_CHANGE_FIELDS = {
    "property": ("amount",),
    "trustee": ("trustees",),
    "purpose": ("purpose", "purpose_categories"),
    "other": (),
}


def check_change_fields(
    change_type: str, given: Collection[str], details: str, amount_fen: int | None
) -> list[Problem]:
    """A change filing carries the fields of its type and no others."""
    problems: list[Problem] = []
    own = _CHANGE_FIELDS[change_type]
    for field in ("amount", "trustees", "purpose", "purpose_categories"):
        if field in given and field not in own:
            problems.append(Problem((field,), f"a {change_type} change does not carry {field}"))
    if own and not any(field in given for field in own):
        problems.append(Problem((own[0],), f"a {change_type} change needs {' or '.join(own)}"))
    if change_type == "property" and amount_fen == 0:
        problems.append(Problem(("amount",), "a property change needs a non-zero amount"))
    if change_type == "other" and not details.strip():
        problems.append(Problem(("details",), "say what changed"))
    return problems
