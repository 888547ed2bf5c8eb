"""Indicator figures: exact decimals in, decimal strings out — never floats.

Targets and reported values are counts, yuan, percentages or rates. They travel as decimal
strings (``"500"``, ``"83.5"``), are stored as the same normalised text, and are added and
divided as :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

MAX_PLACES = 6
MAX_FIGURE = Decimal("1e15")
SHOWN_PLACES = 4
_SMALLEST = Decimal(1).scaleb(-MAX_PLACES)


def parse_figure(value: Any) -> Decimal:
    """An exact, finite, non-negative decimal with at most six places; floats are refused."""
    if isinstance(value, bool | float):
        raise ValueError('send figures as decimal strings such as "83.5", not as floats')
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("not a decimal number") from None
    else:
        raise ValueError("send figures as decimal strings")
    if not number.is_finite():
        raise ValueError("figures must be finite")
    if number < 0:
        raise ValueError("figures cannot be negative")
    if number >= MAX_FIGURE:
        raise ValueError("figure is out of range")
    if number != number.quantize(_SMALLEST):
        raise ValueError(f"figures have at most {MAX_PLACES} decimal places")
    return number


def figure_text(number: Decimal) -> str:
    """The exact value without trailing zeros or exponent: ``Decimal("12000.00")`` → ``"12000"``."""
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def rounded_text(number: Decimal | None, places: int = SHOWN_PLACES) -> str | None:
    """A computed figure (a ratio, a completion rate) rounded half up for display."""
    if number is None:
        return None
    return figure_text(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


Figure = Annotated[
    Decimal,
    BeforeValidator(parse_figure),
    PlainSerializer(figure_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,15}(\.\d{1,6})?$", "examples": ["500"]}),
]
"""A figure in a request body: a decimal string (or integer), at most six places, ≥ 0."""
