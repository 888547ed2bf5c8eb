"""The open plate page ``/p/{plate_code}`` — what a phone shows after scanning a digital house
plate. No token: it shows the standard address, its region path and codes, nothing else."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.address import page, plate, service
from app.address.codes import looks_like_plate
from app.core.db import ReadSession
from app.core.errors import error_responses
from app.security.dependencies import AppSettings

router = APIRouter(tags=["public"])

CACHE_CONTROL = "public, max-age=300"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
HTML_ONLY = {"content": {"text/html": {"schema": {"type": "string"}}}}


@router.get(
    "/p/{plate_code}",
    name="address-plate-page",
    response_class=HTMLResponse,
    responses={
        200: {"description": "The plate's page.", **HTML_ONLY},
        404: {"description": "No plate with this code (a small HTML page).", **HTML_ONLY},
        # FastAPI would document its own HTTPValidationError here, a schema this API does
        # not publish (errors are problem+json): a dangling $ref that breaks client generators.
        **error_responses(422),
    },
)
async def plate_page(plate_code: str, session: ReadSession, settings: AppSettings) -> HTMLResponse:
    code = plate_code.strip().upper()
    view = await service.public_view(session, code) if looks_like_plate(code) else None
    if view is None:
        return HTMLResponse(
            page.not_found_page(plate_code),
            status_code=404,
            headers={**HEADERS, "Cache-Control": "no-cache"},
        )
    html = page.address_page(
        full_name=view.full_name,
        path=view.path,
        plate_code=view.plate_code,
        address_code=view.address_code,
        retired=view.status == "retired",
        successor_name=view.successor_name,
        successor_plate=view.successor_plate,
        qr_svg=plate.inline_svg(plate.plate_url(settings.public_base_url, view.plate_code)),
    )
    return HTMLResponse(html, headers={**HEADERS, "Cache-Control": CACHE_CONTROL})
