"""Optimistic concurrency over HTTP: ``ETag`` carries a record's version, ``If-Match`` must
name the version a client read before it may change the record."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

from app.core.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


# Dependencies are coroutines: FastAPI runs plain functions in a thread pool, a hop that costs
# more than the work they do.
async def if_match(
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", description='The ETag of the version you read, e.g. `"3"`.'),
    ] = None,
) -> int:
    return parse_if_match(if_match)


def parse_if_match(if_match: str | None) -> int:
    """The version an ``If-Match`` header names; 428 when missing, 412 when unreadable."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("If-Match is required: send the ETag you read")
    text = if_match.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        raise PreconditionFailed('If-Match must be an ETag this service issued, such as "3"')
    return int(text)


IfMatch = Annotated[int, Depends(if_match)]
