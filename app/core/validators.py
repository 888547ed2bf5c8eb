"""Checks for the codes the domain depends on (DOMAIN.md): ID numbers, credit codes, phone
numbers, regions.

Each check raises ``ValueError`` with a message fit for a 422 ``msg``; pydantic turns that into
a validation error with the field's location.

Identity text (ID numbers, credit codes, phone numbers) goes through
:func:`normalize_identity_text` first — at the door, before validation, storage and blind
indexing — so one person typed with full-width digits, spaces or hyphens is the same person
typed in ASCII. The constrained types below (:data:`IdNumber`, :data:`Uscc`, :data:`Phone`) are
the one way request bodies and parameters take such text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from app.core import calendar
from app.core.clock import clock

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_INDEX = {ch: i for i, ch in enumerate(USCC_CHARSET)}

REGION_PATTERN = r"^[0-9]{6}([0-9]{6})?$"
"""A region code as people give it: 6 digits (GB/T 2260) or 12 (statistical code)."""
# ASCII digits only: a full-width code would otherwise pass and then match no region.
_REGION_PATTERN = re.compile(REGION_PATTERN, re.ASCII)
_PHONE_PATTERN = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{9,11})$")

_DASHES = frozenset("\u2212\u2043\u30fc\uff70")  # minus sign, hyphen bullet, prolonged sound marks


def is_identity_filler(ch: str) -> bool:
    """Spaces (any kind), hyphens and dashes, and invisible format characters (zero-width
    spaces, byte-order marks) that copying from documents leaves behind."""
    if ch.isspace() or ch in _DASHES:
        return True
    return unicodedata.category(ch) in {"Pd", "Cf"}


def normalize_identity_text(value: str) -> str:
    """The canonical form of an ID number, credit code or phone number as typed.

    NFKC (full-width ``３３０５０３`` → ``330503``, full-width letters → ASCII), then spaces and
    hyphens dropped. Digits of any other script (Arabic-Indic ``٣٣٠``, Devanagari …) are
    refused rather than guessed at: a ``ValueError`` that names the character.
    """
    text = "".join(ch for ch in unicodedata.normalize("NFKC", value) if not is_identity_filler(ch))
    for ch in text:
        if not ch.isascii() and unicodedata.digit(ch, None) is not None:
            raise ValueError(
                f"digits must be 0-9 (ASCII or full-width); {ch!r} ({unicodedata.name(ch, 'digit')}) is not"
            )
    return text


def canonical_identity_text(value: str) -> str:
    """The stored form of identity text that can no longer be refused (stored by an earlier
    release, or sent by a peer running one): as :func:`normalize_identity_text`, but a digit
    of another script is read as the digit it is, and letters are upper-case."""
    if value.isascii() and value.isalnum():
        # Plain ASCII letters and digits (nearly every stored value): NFKC leaves them as they
        # are and none is a filler, so only the case changes.
        return value.upper()
    out = []
    for ch in unicodedata.normalize("NFKC", value):
        if is_identity_filler(ch):
            continue
        digit = unicodedata.decimal(ch, None)
        out.append(str(digit) if digit is not None else ch)
    return "".join(out).upper()


def _identity_input(value: Any) -> Any:
    return normalize_identity_text(value) if isinstance(value, str) else value


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
    text = normalize_identity_text(value).upper()
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
    return calendar.age_on(id_number_birth_date(id_number), on)


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for 17 leading characters."""
    total = sum(_USCC_INDEX[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """Normalise and check a unified social credit code."""
    text = normalize_identity_text(value).upper()
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


def validate_phone(value: str) -> str:
    """Normalise and check a phone number: a mobile number (11 digits, 13x-19x) or a landline
    with its area code (``0572-2345678`` is kept as ``05722345678``)."""
    text = normalize_identity_text(value)
    if not _PHONE_PATTERN.match(text):
        raise ValueError("phone number must be a mobile number (1[3-9], 9 digits) or 0, area code, number")
    return text


def id_number_filter(value: str) -> str:
    """An ID number given as a search filter: normalised and shaped like one (17 digits and a
    digit or X), without the birth-date and check-character tests of a registration."""
    text = normalize_identity_text(value).upper()
    if not _ID_PATTERN.match(text):
        raise ValueError("ID number must be 17 digits followed by a digit or X")
    return text


def uscc_filter(value: str) -> str:
    """A credit code given as a search filter: normalised, 18 letters or digits."""
    text = normalize_identity_text(value).upper()
    if not re.fullmatch(r"[0-9A-Z]{18}", text):
        raise ValueError("unified social credit code must be 18 letters or digits")
    return text


IdNumber = Annotated[
    str,
    BeforeValidator(_identity_input),
    AfterValidator(validate_id_number),
    Field(
        min_length=18,
        max_length=18,
        examples=["330503198001010016"],
        description="Resident ID number; full-width digits, spaces and hyphens are normalised away.",
    ),
]
"""A resident ID number (GB 11643), normalised and checked."""

IdNumberFilter = Annotated[
    str,
    BeforeValidator(_identity_input),
    AfterValidator(id_number_filter),
    Field(min_length=18, max_length=18, description="Exact ID number"),
]
"""An ID number to search by: normalised, shaped like an ID number."""

Uscc = Annotated[
    str,
    BeforeValidator(_identity_input),
    AfterValidator(validate_uscc),
    Field(min_length=18, max_length=18, examples=["53330500MJ0000000X"]),
]
"""A unified social credit code (GB 32100), normalised and checked."""

UsccFilter = Annotated[
    str,
    BeforeValidator(_identity_input),
    AfterValidator(uscc_filter),
    Field(min_length=18, max_length=18, description="A credit code"),
]
"""A credit code to search by: normalised, shaped like a credit code."""

Phone = Annotated[
    str,
    BeforeValidator(_identity_input),
    AfterValidator(validate_phone),
    Field(
        json_schema_extra={"pattern": _PHONE_PATTERN.pattern},  # of the normalised number
        examples=["13812345678"],
        description="Mobile or landline number; full-width digits, spaces and hyphens are normalised away.",
    ),
]
"""A phone number, normalised (no spaces or hyphens) and checked."""


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


def not_blank(value: str) -> str:
    """Text that must say something: stripped, and refused when nothing is left."""
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


RegionCode = Annotated[
    str,
    AfterValidator(normalize_region_code),
    Field(examples=["330502001000"], description="Region code, 6 or 12 digits (stored as 12)."),
]
"""A region code in a body: normalised to 12 digits."""

PersonName = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(not_blank)]
"""A person's name as registered."""
