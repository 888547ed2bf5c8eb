"""Charts drawn on the server as SVG: no script, no fonts or images from anywhere, so a page
can show them under a strict Content-Security-Policy and a spreadsheet or report can embed
them. Every mark carries its label and value (``data-label``, ``data-value``, a ``<title>``
tooltip), and the root says how many points it holds (``data-points``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = 'system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif'
INK, MUTED, GRID, FILL = "#1c2430", "#5a6677", "#d9dee6", "#0b4f9c"


@dataclass(frozen=True, slots=True)
class Point:
    label: str
    value: float | None
    text: str
    """The value as the API renders it (``"12000.00"``), for tooltips and labels."""


def nice_step(top: float, steps: int = 4) -> float:
    """A round grid step (1, 2 or 5 × 10ⁿ) so that ``steps`` of them reach ``top``."""
    if top <= 0:
        return 1.0
    raw = top / steps
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return float(factor * power)
    return float(10 * power)


def _number(value: float) -> str:
    if value >= 1e8:
        return f"{value / 1e8:g}亿"
    if value >= 1e4:
        return f"{value / 1e4:g}万"
    return f"{value:g}"


def _open(width: int, height: int, title: str, kind: str, count: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" data-points="{count}" '
        f'font-family="{escape(FONT)}" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="8" y="16" font-size="13" font-weight="600" fill="{INK}">{escape(title)}</text>',
    ]


def columns(title: str, points: Sequence[Point], *, width: int = 640, height: int = 240) -> str:
    """Vertical columns in order (a monthly trend); a missing value leaves a gap."""
    left, right, top, bottom = 48, 12, 28, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((p.value for p in points if p.value is not None), default=0.0)
    step = nice_step(peak)
    ceiling = step * max(1, math.ceil(peak / step)) if peak > 0 else step * 4
    out = _open(width, height, title, "columns", len(points))
    for tick in range(round(ceiling / step) + 1):
        value = tick * step
        y = top + plot_h - plot_h * value / ceiling
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{_number(value)}</text>'
        )
    slot = plot_w / max(1, len(points))
    label_every = max(1, math.ceil(len(points) / 12))
    for index, point in enumerate(points):
        x = left + index * slot
        if point.value is not None and point.value > 0:
            h = plot_h * point.value / ceiling
            out.append(
                f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{FILL}" rx="2" '
                f'data-label="{escape(point.label)}" data-value="{escape(point.text)}">'
                f"<title>{escape(point.label)}: {escape(point.text)}</title></rect>"
            )
        else:
            out.append(
                f'<rect class="bar empty" x="{x + slot * 0.15:.1f}" y="{top + plot_h:.1f}" '
                f'width="{slot * 0.7:.1f}" height="0" fill="{FILL}" data-label="{escape(point.label)}" '
                f'data-value="{escape(point.text)}">'
                f"<title>{escape(point.label)}: {escape(point.text)}</title></rect>"
            )
        if index % label_every == 0:
            out.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" fill="{MUTED}">'
                f"{escape(point.label)}</text>"
            )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{INK}"/>'
    )
    out.append("</svg>")
    return "".join(out)


def bars(title: str, points: Sequence[Point], *, width: int = 640, row: int = 26) -> str:
    """Horizontal bars, one per point (regions side by side), each labelled with its value."""
    left, right, top = 120, 90, 28
    height = top + row * max(1, len(points)) + 8
    plot_w = width - left - right
    peak = max((p.value for p in points if p.value is not None), default=0.0)
    out = _open(width, height, title, "bars", len(points))
    for index, point in enumerate(points):
        y = top + index * row
        share = (point.value or 0.0) / peak if peak > 0 else 0.0
        out.append(
            f'<text x="{left - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(point.label)}</text>"
        )
        out.append(
            f'<rect class="bar" x="{left}" y="{y + 4}" width="{plot_w * share:.1f}" height="{row - 8}" '
            f'fill="{FILL}" rx="2" data-label="{escape(point.label)}" data-value="{escape(point.text)}">'
            f"<title>{escape(point.label)}: {escape(point.text)}</title></rect>"
        )
        out.append(
            f'<text x="{left + plot_w * share + 6:.1f}" y="{y + row / 2 + 4:.1f}" fill="{MUTED}">'
            f"{escape(point.text)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
