"""Responses serialised straight to JSON bytes by pydantic-core.

A read that builds its answer from stored, already-validated values returns a document (a
``TypedDict`` mirroring the route's response model) in a :class:`DocumentResponse`: FastAPI
then neither validates the answer against the response model again nor walks it in Python;
the route keeps ``response_model`` for the OpenAPI schema. The bytes are those FastAPI would
have written for the model (same keys in the same order, UUIDs, dates and times in ISO 8601,
``Decimal`` as a string): tests compare the two.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json
from starlette.responses import Response


class DocumentResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content)
