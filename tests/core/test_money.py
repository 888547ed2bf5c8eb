"""Money read from whole fen: a row's ``*_fen`` column becomes yuan in a read schema."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from app.core.money import FenMoney, fen_column


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    amount: FenMoney = fen_column("amount")
    refund: FenMoney | None = fen_column("refund")


@dataclass
class _Row:
    amount_fen: int
    refund_fen: int | None


@pytest.mark.parametrize(
    ("fen", "shown"),
    [(0, "0.00"), (1, "0.01"), (99, "0.99"), (100, "1.00"), (200000, "2000.00"), (-1, "-0.01")],
)
def test_a_row_in_fen_reads_as_yuan_to_the_fen(fen: int, shown: str) -> None:
    read = _Read.model_validate(_Row(amount_fen=fen, refund_fen=None))
    assert read.model_dump(mode="json") == {"amount": shown, "refund": None}


def test_the_value_is_an_exact_decimal() -> None:
    read = _Read.model_validate(_Row(amount_fen=199999999, refund_fen=3))
    assert (read.amount, read.refund) == (Decimal("1999999.99"), Decimal("0.03"))


def test_yuan_already_computed_pass_by_name() -> None:
    read = _Read(amount=Decimal("12.30"), refund=None)
    assert read.model_dump(mode="json")["amount"] == "12.30"


def test_a_float_is_refused() -> None:
    with pytest.raises(ValidationError):
        _Read(amount=1.5, refund=None)
