"""What free-text addresses carry besides the address: phone numbers, people's names, words of
direction (附近, 旁边, 对面 …), labels (地址:) and asides in brackets.

:func:`strip_noise` removes them before parsing and says what it removed (by kind only — the
removed values may be personal data and are never returned or logged). A bracket that names a
region (``(月河街道)``, ``(原武康镇)``) is not an aside: it is set apart for the parser, which
reads it as if it had been written before the road.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from app.address.normalize import halfwidth

_PHONE_LABEL = r"(?:联系电话|电话号码|手机号码|手机号|电话|手机|TEL|PHONE|T)?[:]?\s*"
PHONE = re.compile(
    _PHONE_LABEL
    + r"(?<![0-9])(?:\+?86[-\s]?)?(?:1[3-9][0-9](?:[-\s]?[0-9]{4}){2}|0[0-9]{2,3}[-\s]?[0-9]{7,8})"
    r"(?![0-9])"
)
_NAME_CUE = r"(?:联系人|收件人|收货人|户主|联系|找|交给|转交)"
NAME_AFTER_CUE = re.compile(_NAME_CUE + r"[:]?\s*[\u4e00-\u9fa5]{2,3}?(?:先生|女士|小姐)?(?=[\s,;:.!?()]|$)")
NAME_WITH_TITLE = re.compile(r"[\u4e00-\u9fa5](?:先生|女士|小姐|师傅|阿姨|大爷|大妈|老师)")
LABEL = re.compile(r"(?:家庭住址|详细地址|收货地址|现住址|住址|地址|家住|住在|位于|送至|送到|寄到)[:]?")
NEARBY = re.compile(
    r"(?:斜对面|对面|附近|旁边|隔壁|门口|楼下|后面|周边|一带|东侧|西侧|南侧|北侧|边上|左右|那里|这里)"
)
CROSSING = re.compile(r"(?<=[路街巷])口")
BRACKETED = re.compile(r"[(\[【<《]([^()\[\]【】<>《》]*)[)\]】>》]")


@dataclass(slots=True)
class Cleaned:
    text: str
    removed: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    """Bracketed region names (without a 原/即 … prefix), in the order written."""


def _sub(pattern: re.Pattern[str], kind: str, text: str, removed: list[str]) -> str:
    out, count = pattern.subn(" ", text)
    if count:
        removed.extend([kind] * count)
    return out


_FORMERLY = re.compile(r"^\s*(?:原|旧|即|现|又名|俗称)")
_PLACE_END = re.compile(
    r"(?:路|街|巷|弄|大道|小区|花园|公寓|新村|家园|苑|园|府|庭|城|湾|里|坊|居|邸|院|社区|村)\s*$"
)


def _bracketed(
    text: str, removed: list[str], regions: list[str], is_region: Callable[[str], bool] | None
) -> str:
    """A bracket holding nothing but region names (``(月河街道)``, ``(雉城)``, ``(原武康镇)`` —
    ``is_region`` decides) goes to ``regions``; what reads as part of the address
    (``(凤凰小区)``, ``(3幢)``) stays as plain text; asides go — other names (``(原红旗路)``) and
    remarks (``(张三家)``)."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        named = _FORMERLY.sub("", inner).strip()
        if named and is_region is not None and is_region(named):
            regions.append(named)
            return " "
        if not _FORMERLY.match(inner) and (re.search(r"[0-9]", inner) or _PLACE_END.search(inner)):
            return " " + inner + " "
        removed.append("aside")
        return " "

    return BRACKETED.sub(replace, text)


def strip_noise(text: str, is_region: Callable[[str], bool] | None = None) -> Cleaned:
    """The text without phone numbers, names, labels, directions and asides (half-width), and
    the bracketed region names ``is_region`` recognises."""
    removed: list[str] = []
    regions: list[str] = []
    out = halfwidth(text)
    out = out.replace("(", "(").replace(")", ")")
    out = _sub(PHONE, "phone", out, removed)
    out = _sub(NAME_AFTER_CUE, "name", out, removed)
    out = _sub(NAME_WITH_TITLE, "name", out, removed)
    out = _bracketed(out, removed, regions, is_region)
    out = _sub(LABEL, "label", out, removed)
    out = _sub(NEARBY, "direction", out, removed)
    out = _sub(CROSSING, "direction", out, removed)
    return Cleaned(text=out, removed=removed, regions=regions)
