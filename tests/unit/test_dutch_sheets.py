"""The Dutch export format: amounts that a Dutch spreadsheet parses back to the cent, a CSV as
Dutch Excel opens it, and a sheet with typed cells, widths, a filter and a frozen header."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from populatie.dutch_sheets import (
    BOM,
    DATE_FORMAT,
    EURO_FORMAT,
    HEADERS,
    Column,
    csv_text,
    euro_text,
    fill_sheet,
)

COLUMNS = (
    Column("area_code"),
    Column("domain", words={"prevention": "Preventie"}),
    Column("total", "cents"),
    Column("adopted_at", "date"),
    Column("damped", "bool"),
    Column("rows", "int"),
)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_a_euro_amount_reads_back_to_the_cent(cents: int) -> None:
    text = euro_text(cents)
    assert "." not in text  # no thousands separator: it must parse as one number
    whole, _, fraction = text.partition(",")
    assert len(fraction) == 2
    assert Decimal(f"{whole}.{fraction}") * 100 == cents


def test_the_csv_opens_as_dutch_excel_reads_it() -> None:
    rows = [
        ["GM0518-L1", "prevention", 123456789, datetime(2025, 3, 7, 14, 5), True, 3],
        ["=HYPERLINK(1)", "access", -5, None, False, None],
    ]
    text = csv_text(COLUMNS, rows)
    assert text.startswith(BOM)
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert text.count("\r\n") == 3
    assert "\n" not in text.replace("\r\n", "")
    table = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline=""), delimiter=";"))
    assert table[0] == [HEADERS[c.key] for c in COLUMNS]
    assert table[0][:3] == ["Gebiedscode", "Domein", "Totaal"]
    assert table[1] == ["GM0518-L1", "Preventie", "1234567,89", "07-03-2025", "ja", "3"]
    # a text that would start a formula is quoted away; a coded value without a word stays
    assert table[2] == ["'=HYPERLINK(1)", "access", "-0,05", "", "nee", ""]


def test_a_sheet_has_typed_cells_widths_a_filter_and_a_frozen_header() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    long_name = "Kracht voor Jeugd en Gezin, gebied met een lange naam"
    numbers = fill_sheet(
        sheet,
        COLUMNS,
        [
            [long_name, "prevention", 123456789, datetime(2025, 3, 7, 14, 5), True, 3],
            ["=1+2", "access", -5, date(2024, 12, 31), False, None],
        ],
    )
    assert numbers == [2, 3]
    out = io.BytesIO()
    book.save(out)
    read = load_workbook(io.BytesIO(out.getvalue())).active
    assert read is not None
    assert [c.value for c in read[1]] == [HEADERS[c.key] for c in COLUMNS]
    assert all(c.font.b for c in read[1])
    assert read.freeze_panes == "A2"
    assert read.auto_filter.ref == "A1:F3"
    amount = read["C2"]
    assert amount.data_type == "n"
    assert Decimal(str(amount.value)) == Decimal("1234567.89")
    assert amount.number_format == EURO_FORMAT
    assert "€" in amount.number_format
    assert Decimal(str(read["C3"].value)) == Decimal("-0.05")
    assert read["D2"].is_date
    assert read["D2"].number_format == DATE_FORMAT
    assert read["D2"].value.date() == date(2025, 3, 7)
    assert read["D3"].value.date() == date(2024, 12, 31)
    assert read["B2"].value == "Preventie"
    assert read["E2"].value == "ja"
    assert read["A3"].value == "=1+2"
    assert read["A3"].data_type == "s"  # text, never a formula
    widths = {c: read.column_dimensions[c].width for c in "ABCDEF"}
    assert widths["A"] >= len(long_name)
    assert widths["C"] >= len("€ 1.234.567,89")
    for letter, column in zip("ABCDEF", COLUMNS, strict=True):
        assert widths[letter] >= len(column.header)
