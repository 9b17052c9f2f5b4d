"""Control characters are refused in every field of a spending file, with line and column.

A workbook cannot hold most C0 control characters and PostgreSQL cannot hold NUL, so a single
such row, once imported, would break every export; the import refuses it instead. Tab and line
breaks are layout: accepted in the description, refused in every other field.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.spending.parsing import COLUMNS, SpendingFileError, parse_spending

VALID = {
    "booking_date": "2025-03-14",
    "municipality": "GM0518",
    "district": "WK051801",
    "reference": "C-1",
    "domain": "access",
    "provider": "Zorg BV",
    "amount": "12.50",
    "invoice_reference": "I-1",
    "description": "fee",
}
CONTROLS = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"]


def _file(**spoil: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow(VALID.values())
    writer.writerow({**VALID, "invoice_reference": "I-2", **spoil}.values())
    return out.getvalue().encode()


def _errors(data: bytes) -> list[tuple[int, str, str, str]]:
    try:
        parse_spending(data, decimal_comma=False, municipalities=["GM0518"])
    except SpendingFileError as exc:
        return [(e.line, e.column, e.value, e.reason) for e in exc.errors]
    return []


@given(
    st.sampled_from(["reference", "provider", "invoice_reference", "description"]),
    st.sampled_from(CONTROLS),
    st.text(alphabet="abc ", max_size=4),
)
def test_a_control_character_in_a_text_field_is_refused(
    column: str, control: str, around: str
) -> None:
    errors = _errors(_file(**{column: f"{around}x{control}y{around}"}))
    assert [(line, name) for line, name, _, _ in errors] == [(3, column)]
    (_, _, shown, reason) = errors[0]
    assert "control character" in reason
    assert control not in shown  # shown as \xNN, fit for a terminal or a workbook
    assert f"\\x{ord(control):02x}" in shown


@pytest.mark.parametrize("column", ["booking_date", "municipality", "domain", "amount"])
def test_nul_anywhere_is_refused(column: str) -> None:
    errors = _errors(_file(**{column: VALID[column] + "\x00"}))
    assert (3, column) in {(line, name) for line, name, _, _ in errors}
    assert any("NUL" in reason for _, name, _, reason in errors if name == column)


@pytest.mark.parametrize("layout", ["\t", "\n", "\r\n"])
@pytest.mark.parametrize("column", ["provider", "invoice_reference", "reference"])
def test_tabs_and_line_breaks_are_refused_outside_the_description(column: str, layout: str) -> None:
    errors = _errors(_file(**{column: f"a{layout}b"}))
    assert [(line, name) for line, name, _, _ in errors] == [(3, column)]


def test_tabs_and_line_breaks_are_text_in_the_description() -> None:
    parsed = parse_spending(
        _file(description="two\nlines\tand a tab"),
        decimal_comma=False,
        municipalities=["GM0518"],
    )
    assert list(parsed.description) == ["fee", "two\nlines\tand a tab"]
