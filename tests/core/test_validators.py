from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from app.core.money import from_fen, to_decimal, to_fen
from app.core.validators import (
    USCC_CHARSET,
    IdNumber,
    Phone,
    Uscc,
    age_on,
    canonical_identity_text,
    id_number_check_char,
    is_identity_filler,
    normalize_identity_text,
    normalize_region_code,
    uscc_check_char,
    validate_id_number,
    validate_phone,
    validate_uscc,
)


@pytest.mark.parametrize("value", ["11010519491231002X", "440524188001010014", "11010519491231002x"])
def test_published_id_numbers_are_valid(value: str) -> None:
    assert validate_id_number(value) == value.upper()


@pytest.mark.parametrize("value", ["91350100M000100Y43", "91110000600037341L"])
def test_published_credit_codes_are_valid(value: str) -> None:
    assert validate_uscc(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11010519491231002", "17 digits"),
        ("11010519491231002Y", "17 digits"),
        ("110105194902300021", "impossible birth date"),
        ("110105299901010011", "outside the possible range"),
        ("110105194912310021", "check character"),
    ],
)
def test_bad_id_numbers_are_refused(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_id_number(value)


digits17 = st.text(alphabet="0123456789", min_size=6, max_size=6).flatmap(
    lambda region: st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)).flatmap(
        lambda born: st.integers(0, 999).map(lambda seq: f"{region}{born:%Y%m%d}{seq:03d}")
    )
)


@given(digits17)
def test_id_check_character_round_trips(first17: str) -> None:
    full = first17 + id_number_check_char(first17)
    assert validate_id_number(full, today=date(2026, 1, 1)) == full


@given(digits17, st.sampled_from("0123456789X"))
def test_any_other_id_check_character_is_refused(first17: str, wrong: str) -> None:
    right = id_number_check_char(first17)
    if wrong == right:
        return
    with pytest.raises(ValueError, match="check character"):
        validate_id_number(first17 + wrong, today=date(2026, 1, 1))


@given(digits17, st.integers(0, 16), st.integers(1, 9))
def test_a_single_digit_error_is_detected(first17: str, position: int, delta: int) -> None:
    full = first17 + id_number_check_char(first17)
    changed = list(full)
    changed[position] = str((int(changed[position]) + delta) % 10)
    mutated = "".join(changed)
    try:
        validate_id_number(mutated, today=date(2026, 1, 1))
    except ValueError:
        return
    pytest.fail(f"single-digit change at {position} not detected")


uscc17 = st.text(alphabet=USCC_CHARSET, min_size=2, max_size=2).flatmap(
    lambda head: st.text(alphabet="0123456789", min_size=6, max_size=6).flatmap(
        lambda region: st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9).map(
            lambda org: head + region + org
        )
    )
)


@given(uscc17)
def test_uscc_check_round_trips(first17: str) -> None:
    full = first17 + uscc_check_char(first17)
    assert validate_uscc(full.lower()) == full


@given(uscc17, st.integers(0, 16), st.integers(1, 30))
def test_uscc_single_character_error_is_detected(first17: str, position: int, delta: int) -> None:
    full = first17 + uscc_check_char(first17)
    chars = list(full)
    chars[position] = USCC_CHARSET[(USCC_CHARSET.index(chars[position]) + delta) % 31]
    with pytest.raises(ValueError, match=r"check character|region code"):
        validate_uscc("".join(chars))


@pytest.mark.parametrize("value", ["91350100M000100Y4", "91350100M000100YI3", "9135O100M000100Y43"])
def test_bad_credit_codes_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="unified social credit code"):
        validate_uscc(value)


def test_region_codes_are_padded_and_checked() -> None:
    assert normalize_region_code("330502") == "330502000000"
    assert normalize_region_code("330502001000") == "330502001000"
    # Digits of other scripts (full-width, Arabic-Indic) would match no region: refused.
    for bad in ("33050", "3305020010", "abcdef", "３３０５０２", "٣٣٠٥٠٢"):
        with pytest.raises(ValueError, match="6 or 12 digits"):
            normalize_region_code(bad)


def test_age_counts_full_years() -> None:
    assert age_on("11010519491231002X", date(2009, 12, 30)) == 59
    assert age_on("11010519491231002X", date(2009, 12, 31)) == 60


def test_money_is_exact_and_refuses_floats() -> None:
    assert to_decimal("12000") == Decimal("12000.00")
    assert to_fen(to_decimal("0.10")) + to_fen(to_decimal("0.20")) == 30
    assert from_fen(123456789012345) == Decimal("1234567890123.45")
    for bad in (0.1, "1.234", "NaN", "abc", True):
        with pytest.raises(ValueError, match="money"):
            to_decimal(bad)


@given(st.integers(min_value=-99_999_999_999_999, max_value=99_999_999_999_999))
def test_money_fen_round_trip(fen: int) -> None:
    assert to_fen(from_fen(fen)) == fen


# Identity text at the door: one normaliser for ID numbers, credit codes and phone numbers.


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


class _Identity(BaseModel):
    id_number: IdNumber
    phone: Phone | None = None
    uscc: Uscc | None = None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("３３０５０３１９８００１０１００１６", "330503198001010016"),
        ("330503 19800101 0016", "330503198001010016"),
        ("330503-19800101-0016", "330503198001010016"),
        ("３３０５０３\u3000１９８００１０１－００１６", "330503198001010016"),
        ("\u200b330503198001010016\ufeff", "330503198001010016"),
        ("330503\u201019800101\u20130016", "330503198001010016"),
    ],
)
def test_identity_text_is_normalised(typed: str, expected: str) -> None:
    assert normalize_identity_text(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "٣٣٠٥٠٣١٩٨٠٠١٠١٠٠١٦",  # Arabic-Indic
        "۳۳۰۵۰۳۱۹۸۰۰۱۰۱۰۰۱۶",  # Extended Arabic-Indic (Persian)
        "३३०५०३१९८००१०१००१६",  # Devanagari
        "33050319800101001" + "٦",  # one digit of another script is enough
    ],
)
def test_other_digit_scripts_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="digits must be 0-9"):
        normalize_identity_text(typed)
    with pytest.raises(ValidationError) as caught:
        _Identity(id_number=typed)
    assert caught.value.errors()[0]["loc"] == ("id_number",)


def test_the_types_normalise_before_checking() -> None:
    valid = "11010519491231002X"
    assert _Identity(id_number=_full_width(valid.lower())).id_number == valid
    assert _Identity(id_number="110105 19491231 002x").id_number == valid
    assert _Identity(id_number=valid, phone="１３８ １２３４－５６７８").phone == "13812345678"
    assert _Identity(id_number=valid, phone="0572-2345678").phone == "05722345678"
    assert _Identity(id_number=valid, uscc=_full_width("91350100m000100y43")).uscc == "91350100M000100Y43"
    with pytest.raises(ValidationError):
        _Identity(id_number=valid, phone="١٣٨١٢٣٤٥٦٧٨")
    with pytest.raises(ValidationError):
        _Identity(id_number=valid, phone="12345")


def test_phone_numbers() -> None:
    assert validate_phone("13812345678") == "13812345678"
    assert validate_phone("057-12345678") == "05712345678"
    for bad in ("1381234567", "23812345678", "5722345678", "0572-234"):
        with pytest.raises(ValueError, match="phone number"):
            validate_phone(bad)


def test_stored_text_of_other_scripts_maps_to_ascii() -> None:
    """What earlier releases stored cannot be refused: the re-normalisation reads it."""
    assert canonical_identity_text("٣٣٠٥٠٣ 1980-0101-001x") == "33050319800101001X"
    assert canonical_identity_text("３３０５０３") == "330503"


@pytest.mark.parametrize("value", ["11010519491231002x", "13911112222", "91330500MA2B3C4D5E", "abc", ""])
def test_plain_ascii_identity_text_only_changes_case(value: str) -> None:
    """The fast path for ASCII letters and digits gives what the character-by-character
    canonicalisation gives."""
    slow = "".join(ch for ch in unicodedata.normalize("NFKC", value) if not is_identity_filler(ch)).upper()
    assert canonical_identity_text(value) == slow == value.upper()
    assert canonical_identity_text(value + " ") == value.upper()  # not plain: the slow path
