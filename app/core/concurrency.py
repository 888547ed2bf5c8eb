"""Optimistic concurrency over HTTP: ``ETag`` carries a record's version, ``If-Match`` must
name the version a client read before it may change the record.

The ``If-Match`` dependencies never raise: a missing or unreadable header becomes a sentinel
version that :meth:`app.ledger.unit_of_work.UnitOfWork.check_version` turns into 428 or 412.
So the answer comes after authentication, authorisation and the record look-up, whatever
the order of a route's parameters — an anonymous caller gets 401, not 428.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

from app.core.errors import PreconditionFailed, PreconditionRequired

IF_MATCH_MISSING = -1
IF_MATCH_UNREADABLE = -2


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def read_if_match(if_match: str | None) -> int:
    """The version an ``If-Match`` header names, or a sentinel when missing or unreadable."""
    if if_match is None or not if_match.strip():
        return IF_MATCH_MISSING
    text = if_match.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    # ASCII digits only ("²".isdigit() is true, int("²") fails) and no longer than a version
    # can be: int() of thousands of digits raises rather than answering 412.
    readable = text.isascii() and text.isdigit() and len(text) <= 18
    return int(text) if readable else IF_MATCH_UNREADABLE


def parse_if_match(if_match: str | None) -> int:
    """The version an ``If-Match`` header names; 428 when missing, 412 when unreadable."""
    version = read_if_match(if_match)
    check_precondition(version)
    return version


def check_precondition(expected: int) -> None:
    if expected == IF_MATCH_MISSING:
        raise PreconditionRequired("If-Match is required: send the ETag you read")
    if expected == IF_MATCH_UNREADABLE:
        raise PreconditionFailed('If-Match must be an ETag this service issued, such as "3"')


# Dependencies are coroutines: FastAPI runs plain functions in a thread pool, a hop that costs
# more than the work they do.
async def _if_match_header(
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", description='The ETag of the version you read, e.g. `"3"`.'),
    ] = None,
) -> int:
    return read_if_match(if_match)


IfMatch = Annotated[int, Depends(_if_match_header)]


async def _optional_if_match_header(
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", description='Optional: the ETag you read, e.g. `"3"`; checked when sent.'),
    ] = None,
) -> int | None:
    return read_if_match(if_match) if if_match else None


OptionalIfMatch = Annotated[int | None, Depends(_optional_if_match_header)]
"""For actions that may run without a version check but honour one when the client sends it."""
