"""The open page of a digital house plate: one self-contained, mobile-first HTML document —
inline CSS and an inline SVG QR code, nothing loaded from anywhere, no personal data."""

from __future__ import annotations

from html import escape

from app.address.codes import LEVELS, REGION_WIDTH
from app.address.schemas import RegionStep

FONTS = 'system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif'
STYLE = (
    """
*{box-sizing:border-box}
body{margin:0;background:#eef2f7;color:#1c2430;line-height:1.5}
main{max-width:30rem;margin:0 auto;padding:1.25rem 1rem 2rem}
.plate{background:#0b4f9c;color:#fff;border-radius:14px;padding:1.1rem 1.2rem;
box-shadow:0 4px 14px rgba(11,79,156,.25)}
.plate small{display:block;opacity:.85;font-size:.85rem;letter-spacing:.08em}
.plate h1{margin:.35rem 0 0;font-size:1.45rem;line-height:1.35;word-break:break-all}
.card{background:#fff;border-radius:12px;margin-top:1rem;padding:1rem 1.1rem}
.card h2{margin:0 0 .5rem;font-size:.95rem;color:#5a6677;font-weight:600}
ol{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.3rem .4rem}
ol li{background:#e6eef8;color:#0b4f9c;border-radius:999px;padding:.15rem .65rem;font-size:.9rem}
dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:.35rem .9rem}
dt{color:#5a6677}dd{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.qr{text-align:center}.qr svg{max-width:100%;height:auto}
.retired{background:#fff4e5;color:#8a4b00;border-radius:12px;margin-top:1rem;padding:.8rem 1rem}
.retired a{color:#8a4b00}
footer{margin-top:1.5rem;text-align:center;color:#7a8594;font-size:.8rem}
"""
    + f"body{{font-family:{FONTS}}}"
)


def grouped(address_code: str) -> str:
    """The code in its segments (region, place, house, building, unit, room), for reading."""
    cuts = (REGION_WIDTH, *(level.end for level in LEVELS[:-1]))
    parts = [address_code[a:b] for a, b in zip((0, *cuts), (*cuts, len(address_code)), strict=True)]
    return " ".join(p for p in parts if p)


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}<footer>湖州市民政局 · 标准地名地址 · 数字门牌</footer></main></body></html>\n"
    )


def address_page(
    *,
    full_name: str,
    path: list[RegionStep],
    plate_code: str,
    address_code: str,
    retired: bool,
    successor_name: str | None,
    successor_plate: str | None,
    qr_svg: str,
) -> str:
    steps = "".join(f"<li>{escape(step.name)}</li>" for step in path)
    notice = ""
    if retired:
        successor = ""
        if successor_name and successor_plate:
            successor = f'现用地址：<a href="/p/{escape(successor_plate)}">{escape(successor_name)}</a>'
        notice = f'<div class="retired"><strong>此门牌地址已停用。</strong>{successor}</div>'
    body = (
        '<section class="plate"><small>标准地址 · 数字门牌</small>'
        f"<h1>{escape(full_name)}</h1></section>{notice}"
        f'<section class="card"><h2>行政区划</h2><ol>{steps}</ol></section>'
        '<section class="card"><h2>编码</h2><dl>'
        f"<dt>门牌码</dt><dd>{escape(plate_code)}</dd>"
        f"<dt>地址码</dt><dd>{escape(grouped(address_code))}</dd></dl></section>"
        f'<section class="card qr">{qr_svg}</section>'
    )
    return _document(f"{full_name} · 数字门牌", body)


def not_found_page(plate_code: str) -> str:
    body = (
        '<section class="plate"><small>数字门牌</small><h1>未找到此门牌</h1></section>'
        f'<section class="card"><p>门牌码 {escape(plate_code[:40])} 不在标准地址库中。'
        "请核对门牌上的编码。</p></section>"
    )
    return _document("未找到门牌", body)
