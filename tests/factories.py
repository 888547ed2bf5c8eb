"""Valid test data: ID numbers and credit codes with correct check characters."""

from __future__ import annotations

import itertools
import random
from datetime import date

from app.core.validators import USCC_CHARSET, id_number_check_char, uscc_check_char

_seq = itertools.count(1)


def id_number(region: str = "330502", born: date | None = None, sex: str | None = None) -> str:
    """A valid 18-character ID number, unique within the test run.

    With ``born`` given the birth date is kept and the sequence varies; otherwise birth dates
    from 1950-03-01 onwards are used in turn.
    """
    k = next(_seq)
    day = born or date.fromordinal(date(1950, 3, 1).toordinal() + k // 400)
    seq = (k % 400) * 2 + (1 if sex == "male" else 0) if sex else k % 800
    first17 = f"{region[:6]}{day:%Y%m%d}{seq:03d}"
    return first17 + id_number_check_char(first17)


def uscc(dept: str = "5", kind: str = "3", region: str = "330500", rng: random.Random | None = None) -> str:
    r = rng or random.Random()
    org = "".join(r.choice(USCC_CHARSET) for _ in range(9))
    first17 = f"{dept}{kind}{region}{org}"
    return first17 + uscc_check_char(first17)


def full_width(text: str) -> str:
    """``text`` with its ASCII letters and digits typed full-width (``３３０５``)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
"""ASCII digits to Arabic-Indic ones (``str.translate``): digits of another script."""


def unique_suffix() -> str:
    return f"{next(_seq):06d}"
