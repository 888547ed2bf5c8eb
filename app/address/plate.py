"""Digital house plates (数字门牌): a QR code of the plate's public page,
``{MZ_PUBLIC_BASE_URL}/p/{plate_code}``, as SVG or PNG (segno writes both itself)."""

from __future__ import annotations

import io

import segno

SCALE = 8
BORDER = 4


def plate_url(base_url: str, plate_code: str) -> str:
    return f"{base_url.rstrip('/')}/p/{plate_code}"


def _qr(url: str) -> segno.QRCode:
    # Level M survives a scuffed plate; a plate URL fits in a version 3-4 symbol.
    return segno.make(url, error="m", micro=False)


def svg(url: str, title: str) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="svg", scale=SCALE, border=BORDER, title=title, xmldecl=True)
    return out.getvalue()


def png(url: str) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="png", scale=SCALE, border=BORDER)
    return out.getvalue()


def inline_svg(url: str) -> str:
    """The QR code as an ``<svg>`` element to embed in a page."""
    text: str = _qr(url).svg_inline(scale=5, border=BORDER, omitsize=False)
    return text
