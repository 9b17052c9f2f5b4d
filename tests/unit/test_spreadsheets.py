"""The cell rules every export writer shares: CSV text that would start a formula is quoted
away (numbers stay numbers), and a workbook holds every text as a string cell."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from rich.console import Console

from populatie.errors import SpendingImportError
from populatie.import_errors import show_import_errors
from populatie.spreadsheets import FORMULA_TRIGGERS, append_row, csv_cell, csv_row


@given(st.sampled_from(FORMULA_TRIGGERS), st.text(max_size=20))
def test_a_text_starting_a_formula_is_quoted(trigger: str, rest: str) -> None:
    assert csv_cell(trigger + rest) == "'" + trigger + rest


@given(st.one_of(st.integers(), st.none(), st.text().filter(lambda t: not t.startswith(
    FORMULA_TRIGGERS))))  # fmt: skip
def test_numbers_and_other_texts_stay_as_they_are(value: object) -> None:
    assert csv_cell(value) == value


def test_a_negative_amount_stays_a_number() -> None:
    assert csv_row([-250, "-250", "=1+2"]) == [-250, "'-250", "'=1+2"]


def test_a_workbook_holds_formula_like_text_and_control_characters_as_text() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    number = append_row(sheet, ['=HYPERLINK("https://x.example","y")', "#N/A", "a\x01b", 12])
    out = io.BytesIO()
    book.save(out)
    cells = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(number, number))  # type: ignore[union-attr]
    assert [c.data_type for c in cells] == ["s", "s", "s", "n"]
    assert [c.value for c in cells] == [
        '=HYPERLINK("https://x.example","y")',
        "#N/A",
        "a\\x01b",
        12,
    ]


def test_the_errors_file_of_a_rejected_import_is_neutralised(tmp_path: Path) -> None:
    error = {"line": 2, "column": "provider", "value": "=HYPERLINK(1)", "reason": "-bad"}
    path = tmp_path / "errors.csv"
    shown = Console(file=io.StringIO())
    show_import_errors(SpendingImportError("rejected", details=[error]), path, shown)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows == [
        {"line": "2", "column": "provider", "value": "'=HYPERLINK(1)", "reason": "'-bad"}
    ]
