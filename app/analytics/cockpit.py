"""The cockpit (驾驶舱): one offline HTML page with its script and style sheet, served from
the package. The page itself needs no token; its data calls carry the one pasted into it. A
strict Content-Security-Policy lets it load and call nothing but this service."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
FILES = {
    "cockpit.js": "text/javascript; charset=utf-8",
    "cockpit.css": "text/css; charset=utf-8",
}

router = APIRouter(tags=["cockpit"])


@cache
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def _text(media_type: str, what: str) -> dict[int | str, dict[str, object]]:
    return {200: {"description": what, "content": {media_type: {"schema": {"type": "string"}}}}}


@router.get(
    "/cockpit",
    name="cockpit-page",
    response_class=Response,
    responses=_text("text/html", "The cockpit page (no token needed; it asks for one)."),
)
async def cockpit_page() -> Response:
    return Response(_read("cockpit.html"), media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get(
    "/cockpit/cockpit.js",
    name="cockpit-script",
    response_class=Response,
    responses=_text("text/javascript", "The cockpit's script."),
)
async def cockpit_script() -> Response:
    return Response(_read("cockpit.js"), media_type=FILES["cockpit.js"], headers=HEADERS)


@router.get(
    "/cockpit/cockpit.css",
    name="cockpit-style",
    response_class=Response,
    responses=_text("text/css", "The cockpit's style sheet."),
)
async def cockpit_style() -> Response:
    return Response(_read("cockpit.css"), media_type=FILES["cockpit.css"], headers=HEADERS)
