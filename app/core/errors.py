"""Domain errors and their RFC 9457 ``application/problem+json`` rendering.

Services raise :class:`DomainError` subclasses; one set of handlers renders every error —
domain, validation, routing, database and unexpected — as problem+json without internals.

Exception tree::

    DomainError
    ├── BadRequest            400
    ├── Unauthorized          401  (WWW-Authenticate: Bearer)
    ├── Forbidden             403
    ├── NotFound              404
    ├── Conflict              409
    ├── Gone                  410
    ├── PreconditionFailed    412
    ├── PayloadTooLarge       413
    ├── UnsupportedMediaType  415
    ├── Unprocessable         422  (errors: [{loc, msg}])
    ├── PreconditionRequired  428
    ├── TooManyRequests       429  (Retry-After)
    └── ServiceUnavailable    503
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:mzbrain:problem:"

RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "errors"})
"""Members of a problem document that extra members never overwrite (RFC 9457 §3.1): a
record's own status goes under its own name, e.g. ``household_status``."""


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=["urn:mzbrain:problem:not-found"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemError] | None = None


class DomainError(Exception):
    status: int = 500
    slug: str = "internal"
    title: str = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}
        self.extra = extra or {}


class BadRequest(DomainError):
    status, slug, title = 400, "bad-request", "Bad Request"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("WWW-Authenticate", 'Bearer realm="mzbrain"')


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not Found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class Gone(DomainError):
    status, slug, title = 410, "gone", "Gone"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "Precondition Failed"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Content Too Large"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported Media Type"


class Unprocessable(DomainError):
    status, slug, title = 422, "validation", "Unprocessable Content"

    @classmethod
    def at(cls, loc: Sequence[str | int], msg: str) -> Unprocessable:
        """One validation error at a location, e.g. ``("body", "members", 0, "id_number")``."""
        return cls(msg, errors=[{"loc": list(loc), "msg": msg}])


class PreconditionRequired(DomainError):
    status, slug, title = 428, "precondition-required", "Precondition Required"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too-many-requests", "Too Many Requests"


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "unavailable", "Service Unavailable"


def problem_response(
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug if slug else "about:blank",
        "title": title or phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = list(errors)
    # An extension member never overwrites one RFC 9457 defines (``status`` is the HTTP code).
    body.update((k, v) for k, v in (extra or {}).items() if k not in RESERVED_MEMBERS)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid"))
        # pydantic prefixes ValueError messages; the field location already says where.
        msg = msg.removeprefix("Value error, ")
        out.append({"loc": _loc(err.get("loc", ())), "msg": msg, "type": err.get("type")})
    return out


async def render_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    request.state.problem_slug = exc.slug
    return problem_response(
        exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(
            400, slug="malformed-json", title="Malformed JSON", detail="the request body is not valid JSON"
        )
    ctype = _media_type(request)
    body_refused = any(e["loc"] == ["body"] and e["type"] != "missing" for e in errors)
    if body_refused and not (ctype == "application/json" or ctype.endswith("+json")):
        return problem_response(
            415,
            slug="unsupported-media-type",
            title="Unsupported Media Type",
            detail="send the body as application/json",
        )
    return problem_response(
        422,
        slug="validation",
        title="Unprocessable Content",
        detail="the request does not match the schema",
        errors=errors,
    )


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = "no resource at this path"
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on this path"
    if exc.status_code == 413:
        # Raised by the body limit while a route reads a streamed body: the same problem type
        # as when the middleware answers before the route runs.
        if not (detail or "").startswith("the request body"):
            detail = "the request body is larger than this endpoint accepts"
        return problem_response(
            413, slug="payload-too-large", title="Content Too Large", detail=detail, headers=headers
        )
    if exc.status_code == 400 and detail == _UNPARSED_BODY:
        # FastAPI's answer when decoding the body fails other than by a JSON syntax error:
        # bytes that are not UTF-8, or nesting deeper than the parser recurses.
        if _media_type(request) == "application/json" or _media_type(request).endswith("+json"):
            return problem_response(
                400,
                slug="malformed-json",
                title="Malformed JSON",
                detail="the request body is not valid JSON (UTF-8 text, reasonably nested)",
            )
        detail = "the request body cannot be read"
    return problem_response(exc.status_code, detail=detail, headers=headers)


_UNPARSED_BODY = "There was an error parsing the body"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeoutError | InterfaceError):
        return True
    # OperationalError covers a lost server and SQLite's "database is locked": both are
    # conditions to retry, not faults of the request.
    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, ConnectionError | TimeoutError)


def _is_unstorable_text(exc: BaseException) -> bool:
    """PostgreSQL refused a character in the request's text (SQLSTATE 22021 invalid byte
    sequence, 22P05 untranslatable character): the request's fault, not the server's."""
    if not isinstance(exc, DBAPIError):
        return False
    state = getattr(exc.orig, "sqlstate", None) or getattr(
        getattr(exc.orig, "__cause__", None), "sqlstate", None
    )
    return state in {"22021", "22P05"}


# Registered one by one (not only under ``Exception``): Starlette hands ``Exception`` to its
# outermost middleware, which re-raises after answering, and the server then closes the
# keep-alive connection — a client that already sent its next request on it sees the
# connection drop instead of an answer. Handlers for these classes answer and are done.
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, PoolTimeoutError, ConnectionError, TimeoutError)


async def _unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    if _is_unstorable_text(exc):
        return problem_response(
            400, slug="bad-request", detail="the request contains text the database cannot store"
        )
    if _is_unavailable(exc):
        log.warning("database unavailable: %s", type(exc).__name__)
        return problem_response(
            503,
            slug="unavailable",
            detail="the database is unavailable; retry later",
            headers={"Retry-After": "5"},
        )
    log.error("unhandled error %s", type(exc).__name__, exc_info=exc)
    return problem_response(500, slug="internal", detail="an internal error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, render_domain_error)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, _unhandled_handler)
    app.add_exception_handler(Exception, _unhandled_handler)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json for the given statuses."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out
