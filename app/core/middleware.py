"""The request envelope: request id in and out, one JSON access-log line, metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import datetime

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.clock import clock
from app.core.errors import problem_response
from app.core.logs import request_id_var
from app.core.metrics import Metrics

access_log = logging.getLogger("app.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/api/v1/recipients/{id}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "<unmatched>"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope.get("method", "")
            self.metrics.observe(method, route, status, elapsed)
            client = scope.get("client")
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
            request_id_var.reset(token)


class _BodyTooLarge(HTTPException):
    """Raised while a route reads a streamed body past the limit. An ``HTTPException``, so
    FastAPI's body parsing (JSON or multipart) lets it through instead of answering 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=_too_large(limit))


class BodyLimitMiddleware:
    """413 problem+json for bodies over the limit: by ``Content-Length`` before reading, or by
    counting a streamed body. Bulk-import endpoints (paths ending in ``/import``) get the
    larger import limit."""

    def __init__(self, app: ASGIApp, limit: int, import_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.import_limit = import_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.import_limit if scope.get("path", "").rstrip("/").endswith("/import") else self.limit
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _send_413(send, limit)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _send_413(send, limit)


def _too_large(limit: int) -> str:
    return f"the request body is larger than this endpoint accepts ({limit} bytes)"


async def _send_413(send: Send, limit: int) -> None:
    await _send_problem(send, 413, "payload-too-large", "Content Too Large", _too_large(limit))


async def _send_problem(send: Send, status: int, slug: str, title: str, detail: str) -> None:
    """A problem+json answer from a middleware, before any route runs; the connection closes,
    since the rest of the request body is left unread."""
    response = problem_response(
        status, slug=slug, title=title, detail=detail, headers={"connection": "close"}
    )
    await response({"type": "http"}, _replay([]), send)


# An escaped NUL (``\u0000``) in JSON text: preceded by an even number of backslashes, so
# that ``\\u0000`` (a literal backslash, then "u0000") is not mistaken for one.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_QUERY_NUL = re.compile(rb"%00|\x00")


class NulGuardMiddleware:
    """400 for a NUL character in the path, the query string or a JSON body. No text column
    can hold one on PostgreSQL, and none has a meaning here; rejecting it at the door gives
    the same clean answer on every engine and every field."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or _QUERY_NUL.search(scope.get("query_string", b"")):
            await _send_nul(send, "the URL")
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _JSON_NUL.search(body):
            await _send_nul(send, "the JSON body")
            return
        await self.app(
            scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send
        )


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return bool(media == b"application/json" or media.endswith(b"+json"))
    return False


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _send_nul(send: Send, where: str) -> None:
    await _send_problem(send, 400, "bad-request", "Bad Request", f"{where} contains a NUL character")


class TestClockMiddleware:
    """``X-Test-Now: <ISO 8601 instant with offset>`` sets the one clock for that request.

    Installed only when ``MZ_TEST_CLOCK=true``, which production refuses: tests against a
    running node play a day's rules at a chosen hour (23:30 UTC, 00:30 UTC …)."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = next((v for k, v in scope.get("headers", ()) if k == b"x-test-now"), None)
        if scope["type"] != "http" or raw is None:
            await self.app(scope, receive, send)
            return
        try:
            instant = datetime.fromisoformat(raw.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            instant = None
        if instant is None or instant.tzinfo is None:
            await _send_problem(
                send, 400, "bad-request", "Bad Request", "X-Test-Now must be an ISO 8601 instant with offset"
            )
            return
        with clock.at(instant):
            await self.app(scope, receive, send)
