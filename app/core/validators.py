"""Checks for the codes the domain depends on (DOMAIN.md): ID numbers, credit codes, regions.

Each check raises ``ValueError`` with a message fit for a 422 ``msg``; pydantic turns that into
a validation error with the field's location.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator

from app.core.clock import clock

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_INDEX = {ch: i for i, ch in enumerate(USCC_CHARSET)}

_REGION_PATTERN = re.compile(r"^\d{6}(\d{6})?$")


def id_number_check_char(first17: str) -> str:
    """The GB 11643-1999 check character for 17 leading digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_birth_date(id_number: str) -> date:
    """The birth date an 18-character ID number carries (raises ValueError if not a date)."""
    text = id_number[6:14]
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Normalise and check a resident ID number; returns it with an upper-case X."""
    text = value.strip().upper()
    if not _ID_PATTERN.match(text):
        raise ValueError("ID number must be 17 digits followed by a digit or X")
    try:
        born = id_number_birth_date(text)
    except ValueError:
        raise ValueError("ID number carries an impossible birth date") from None
    if born > (today or clock.today()) or born.year < 1880:
        raise ValueError("ID number carries a birth date outside the possible range")
    if id_number_check_char(text[:17]) != text[17]:
        raise ValueError("ID number check character does not match")
    return text


def id_number_sex(id_number: str) -> str:
    """``male`` for an odd sequence digit, ``female`` for even."""
    return "male" if int(id_number[16]) % 2 else "female"


def age_on(id_number: str, on: date) -> int:
    """Full years of age on a given day, from the birth date in the ID number."""
    born = id_number_birth_date(id_number)
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for 17 leading characters."""
    total = sum(_USCC_INDEX[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """Normalise and check a unified social credit code."""
    text = value.strip().upper()
    if len(text) != 18:
        raise ValueError("unified social credit code must be 18 characters")
    bad = sorted({c for c in text if c not in _USCC_INDEX})
    if bad:
        raise ValueError(f"unified social credit code has characters outside its set: {''.join(bad)}")
    if not text[2:8].isdigit():
        raise ValueError("unified social credit code positions 3-8 must be a region code")
    if uscc_check_char(text[:17]) != text[17]:
        raise ValueError("unified social credit code check character does not match")
    return text


def normalize_region_code(value: str) -> str:
    """A 12-digit statistical region code; 6-digit GB/T 2260 codes are padded with zeros."""
    text = str(value).strip()
    if not _REGION_PATTERN.match(text):
        raise ValueError("region code must be 6 or 12 digits")
    return text.ljust(12, "0")


EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def bounded_day(value: date) -> date:
    """A calendar day the service can compute with (ages, review intervals, periods)."""
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"date must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


Day = Annotated[date, AfterValidator(bounded_day)]
"""A date parameter limited to 1900-01-01 … 2199-12-31 (422 outside)."""
