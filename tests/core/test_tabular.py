"""Reading uploaded CSV rows: line numbers, header aliases, cells trimmed, NULs dropped, short
rows padded, blank lines skipped."""

from __future__ import annotations

import io

import pytest

from app.core.errors import Unprocessable
from app.core.tabular import read_csv


def _rows(text: str, aliases: dict[str, str] | None = None) -> list[tuple[int, dict[str, str]]]:
    return list(read_csv(io.BytesIO(text.encode()), aliases))


def test_cells_trimmed_and_named_by_the_header() -> None:
    rows = _rows("\ufeff区划代码, Road \n 330502 , 人民路 \n", {"区划代码": "region_code"})
    assert rows == [(2, {"region_code": "330502", "road": "人民路"})]


def test_short_rows_padded_long_rows_cut() -> None:
    rows = _rows("a,b,c\n1\n1,2,3,4\n")
    assert rows == [(2, {"a": "1", "b": "", "c": ""}), (3, {"a": "1", "b": "2", "c": "3"})]


def test_blank_lines_skipped_and_line_numbers_kept() -> None:
    rows = _rows("a,b\n1,2\n\n , \n3,4\n")
    assert [line for line, _ in rows] == [2, 5]


def test_nul_characters_dropped_from_cells() -> None:
    rows = _rows("a,b\n1\x002, x\x00 \n")
    assert rows == [(2, {"a": "12", "b": "x"})]


def test_a_line_of_nuls_alone_is_read_not_skipped() -> None:
    # it is not blank: the import reports it with its line (a missing region code) instead of
    # passing over it in silence
    rows = _rows("a,b\n\x00,\x00\n")
    assert rows == [(2, {"a": "", "b": ""})]


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(Unprocessable):
        _rows("")
