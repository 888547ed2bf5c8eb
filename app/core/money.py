"""Money: exact yuan amounts with two places, stored as integer fen.

Amounts travel as decimal strings (``"12000.00"``) and live in the database as whole fen
(``BIGINT``), which both engines store and sum exactly. Floats are refused.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")
MAX_YUAN = Decimal("999999999999.99")


def to_decimal(value: Any) -> Decimal:
    """Parse a yuan amount exactly; refuse floats, NaN, infinities and sub-fen precision."""
    if isinstance(value, bool | float):
        raise ValueError('money must be a decimal string such as "12000.00", not a float')
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | str):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("money must be a decimal number of yuan") from None
    else:
        raise ValueError("money must be a decimal string")
    if not amount.is_finite():
        raise ValueError("money must be a finite amount")
    if amount != amount.quantize(CENT):
        raise ValueError("money has at most two decimal places")
    if abs(amount) > MAX_YUAN:
        raise ValueError("money amount is out of range")
    return amount.quantize(CENT)


def to_fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def round_fen(amount: Decimal) -> Decimal:
    """Round a computed amount to the fen, half up (the usual rule for benefits)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT):f}"


_JSON_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^-?\d{1,12}(\.\d{1,2})?$", "examples": ["12000.00"]}
)


Money = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    PlainSerializer(format_money, return_type=str),
    _JSON_SCHEMA,
]
"""A yuan amount in a schema: accepted as a string (or integer), returned as ``"12000.00"``."""


def _yuan_from_fen(value: Any) -> Decimal:
    """A read schema's amount: whole fen as the database holds it, or yuan already computed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return from_fen(value)
    return to_decimal(value)


FenMoney = Annotated[
    Decimal,
    BeforeValidator(_yuan_from_fen),
    PlainSerializer(format_money, return_type=str),
    _JSON_SCHEMA,
]
"""A yuan amount in a read schema, filled from an integer fen column (``model_validate`` of a
row), rendered like :data:`Money`. Only for responses: an integer here means fen."""


def fen_column(name: str, **field: Any) -> Any:
    """The field of a read schema whose value comes from the row's ``<name>_fen`` column."""
    return Field(validation_alias=AliasChoices(f"{name}_fen", name), **field)
