"""Spending-file checks pinned down one by one: each reason, line, column and value.

parse_spending needs no database, so every check of the file format is tested here directly,
quickly enough for a mutation run (see docs/mutation.md). The import service's own tests cover
the same checks through the database.
"""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pytest

from populatie.spending.parsing import (
    ALL_COLUMNS,
    COLUMNS,
    OPTIONAL_COLUMNS,
    RowError,
    SpendingFileError,
    _fast_table,
    _has_control,
    parse_amounts,
    parse_spending,
)

HEADER = ",".join(COLUMNS)
GOOD = "2025-03-14,GM0518,WK051811,H10-P2,specialist,Stichting Jeugdformaat,1234.56,INV-1,zorg"
REGION = ["GM0518", "GM0503"]


def parse(text: str, *, decimal_comma: bool = False) -> object:
    return parse_spending(text.encode(), decimal_comma=decimal_comma, municipalities=REGION)


def errors_of(text: str | bytes, *, decimal_comma: bool = False) -> list[RowError]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(SpendingFileError) as caught:
        parse_spending(data, decimal_comma=decimal_comma, municipalities=REGION)
    return caught.value.errors


def test_a_good_file_comes_back_whole() -> None:
    data = f"{HEADER}\n{GOOD}\n".encode()
    parsed = parse_spending(data, decimal_comma=False, municipalities=REGION)
    assert parsed.content_hash == hashlib.sha256(data).hexdigest()
    assert len(parsed) == 1
    assert parsed.lines.tolist() == [2]
    assert list(parsed.booked_on) == ["2025-03-14"]
    assert parsed.day.tolist() == [date(2025, 3, 14).toordinal()]
    assert (parsed.year.tolist(), parsed.month.tolist()) == ([2025], [3])
    assert list(parsed.municipality) == ["GM0518"]
    assert list(parsed.district) == ["WK051811"]
    assert list(parsed.reference) == ["H10-P2"]
    assert list(parsed.domain) == ["specialist"]
    assert list(parsed.provider) == ["Stichting Jeugdformaat"]
    assert parsed.amount_cents.tolist() == [123456]
    assert list(parsed.invoice_reference) == ["INV-1"]
    assert list(parsed.description) == ["zorg"]
    assert parsed.copy_safe
    assert set(parsed.coded) == {
        "booking_date",
        "municipality",
        "district",
        "reference",
        "domain",
        "provider",
    }


def test_months_and_years_of_the_booking_dates() -> None:
    days = ["2000-01-01", "2024-02-29", "2025-12-31", "2099-12-31", "2025-12-31"]
    rows = [f"{day},GM0518,,,access,P,1.00,I-{i}," for i, day in enumerate(days)]
    parsed = parse(HEADER + "\n" + "\n".join(rows) + "\n")
    assert parsed.year.tolist() == [2000, 2024, 2025, 2099, 2025]
    assert parsed.month.tolist() == [1, 2, 12, 12, 12]
    assert parsed.day.tolist() == [date.fromisoformat(d).toordinal() for d in days]
    assert parsed.coded["booking_date"].values == days[:4]
    assert parsed.coded["booking_date"].codes.tolist() == [0, 1, 2, 3, 2]


def test_the_steps_are_reported_in_order() -> None:
    steps: list[str] = []
    parse_spending(
        f"{HEADER}\n{GOOD}\n".encode(),
        decimal_comma=False,
        municipalities=REGION,
        on_step=steps.append,
    )
    assert steps == ["read", "checked", "amounts"]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        (f"{HEADER}\n{GOOD}\n", True),
        (HEADER + "\n" + GOOD.replace("zorg", "a\\b") + "\n", False),
        (HEADER + "\n" + GOOD.replace("zorg", '"two\nlines"') + "\n", False),
    ],
)
def test_copy_safe_says_whether_a_value_needs_escaping(text: str, safe: bool) -> None:
    assert parse(text).copy_safe is safe


def test_tabs_separate_fields_when_the_header_has_them() -> None:
    text = HEADER.replace(",", "\t") + "\n" + GOOD.replace(",", "\t") + "\n"
    parsed = parse(text)
    assert parsed.amount_cents.tolist() == [123456]
    assert not parsed.copy_safe  # a tab in the text: the fast copy cannot take it


def test_windows_line_ends_and_a_padded_header_are_read() -> None:
    header = ", ".join(COLUMNS)
    parsed = parse(header + "\r\n" + GOOD + "\r\n")
    assert list(parsed.description) == ["zorg"]


def test_dutch_amounts_with_thousands_dots() -> None:
    text = HEADER.replace(",", ";") + "\n" + GOOD.replace(",", ";").replace("1234.56", "1.234,56")
    assert parse(text, decimal_comma=True).amount_cents.tolist() == [123456]


# --- the file as a whole ---------------------------------------------------------------------


def test_bytes_that_are_not_utf8_name_their_line() -> None:
    data = f"{HEADER}\n{GOOD}\n".encode() + b"2025-03-14,GM0518,,,access,P\xe9,1.00,I-2\n"
    assert errors_of(data) == [RowError(3, "", repr(b"\xe9,1.00,I"), "not UTF-8 text")]


def test_an_empty_file_needs_a_header() -> None:
    assert errors_of("") == [RowError(1, "", "", "the file is empty: a header row is required")]


def test_an_unreadable_csv_is_one_error() -> None:
    (error,) = errors_of(f'{HEADER}\n2025-03-14,"GM0518"x,,,access,P,1.00,I-1,\n')
    assert (error.line, error.column, error.value) == (0, "", "")
    assert error.reason.startswith("not a readable CSV file: ")


def test_a_header_without_rows() -> None:
    assert errors_of(HEADER + "\n") == [RowError(2, "", "", "the file has a header but no rows")]


@pytest.mark.parametrize(
    ("column", "meaning"),
    [
        ("BSN", "a citizen service number (BSN)"),
        ("burgerservicenummer", "a citizen service number (BSN)"),
        ("Sofi-nummer", "a citizen service number (sofinummer)"),
        ("Cliënt", "data about a client"),
        ("achternaam", "a name"),
        ("Full Name", "a name"),
        ("date_of_birth", "a birth date"),
        ("Geboortedatum", "a birth date"),
        ("DOB", "a birth date"),
        ("Adres", "an address"),
        ("e-mail address", "an address"),
        ("Postcode", "an address (postcode)"),
        ("zip code", "an address (postcode)"),
        ("Telefoon", "a phone number"),
        ("phone_1", "a phone number"),
        ("E-mail", "an e-mail address"),
    ],
)
def test_a_column_of_personal_data_is_refused(column: str, meaning: str) -> None:
    text = f"{HEADER},{column}\n{GOOD},x\n"
    assert errors_of(text) == [
        RowError(
            1,
            column,
            column,
            f"personal data is not accepted: the column looks like {meaning}; remove it "
            "from the export",
        )
    ]


def test_header_errors_are_all_listed() -> None:
    header = "booking_date,municipality,municipality,colour,domain,provider,amount"
    row = "2025-03-14,GM0518,GM0518,red,access,P,1.00"
    assert errors_of(f"{header}\n{row}\n") == [
        RowError(
            1, "colour", "colour", f"unknown column; the columns are {', '.join(ALL_COLUMNS)}"
        ),
        RowError(1, "municipality", "municipality", "the column appears more than once"),
        RowError(1, "invoice_reference", "", "required column is missing"),
    ]


def test_every_required_column_is_named_when_missing() -> None:
    errors = errors_of("description\nx\n")
    assert [e.column for e in errors] == [c for c in COLUMNS if c not in OPTIONAL_COLUMNS]
    assert {e.reason for e in errors} == {"required column is missing"}
    assert {e.line for e in errors} == {1}


def test_rows_of_the_wrong_width_are_listed_with_their_lines() -> None:
    long_row = GOOD + ",extra," + "y" * 100
    text = f"{HEADER}\n{GOOD}\n\n{GOOD.rsplit(',', 1)[0]}\n{long_row}\n"
    assert errors_of(text) == [
        RowError(4, "", "", "8 fields where the header has 9"),
        RowError(5, "", "", "11 fields where the header has 9"),
    ]


# --- the cells -------------------------------------------------------------------------------


def row(**cells: str) -> str:
    values = dict(zip(COLUMNS, GOOD.split(","), strict=True))
    values.update(cells)
    return ",".join(values[c] for c in COLUMNS)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("booking_date", "14-03-2025", "not a date written YYYY-MM-DD"),
        ("booking_date", "2025-3-14", "not a date written YYYY-MM-DD"),
        ("booking_date", "2025-02-29", "no such date"),
        ("booking_date", "1999-12-31", "a booking date must lie in 2000–2099"),
        ("booking_date", "2100-01-01", "a booking date must lie in 2000–2099"),
        ("municipality", "GM0599", "not a municipality of the region"),
        ("municipality", "0518", "not a CBS municipality code (GMnnnn)"),
        ("municipality", "GM05180", "not a CBS municipality code (GMnnnn)"),
        ("district", "WK05181", "not a CBS district code (WKnnnnnn)"),
        ("district", "BU05181100", "not a CBS district code (WKnnnnnn)"),
        ("district", "WK050311", "district WK050311 is not in GM0518"),
        ("domain", "Access", "not a domain; domains are prevention, access, specialist"),
        ("provider", " ", "provider is empty"),
        ("invoice_reference", "", "invoice reference is empty"),
        ("reference", "R" * 65, "longer than 64 characters"),
        ("provider", "P" * 201, "longer than 200 characters"),
        ("invoice_reference", "I" * 65, "longer than 64 characters"),
        ("description", "d" * 501, "longer than 500 characters"),
        ("amount", "0.00", "an amount of zero books nothing"),
    ],
)
def test_each_bad_cell_is_named_with_its_reason(column: str, value: str, reason: str) -> None:
    errors = errors_of(f"{HEADER}\n{GOOD.replace('INV-1', 'INV-0')}\n{row(**{column: value})}\n")
    (error,) = errors
    assert (error.line, error.column, error.value) == (3, column, value)
    assert error.reason == reason


def test_a_dutch_amount_without_the_option_says_which_option() -> None:
    (error,) = errors_of(f"{HEADER}\n{row(amount=chr(34) + '12,50' + chr(34))}\n")
    assert (error.line, error.column, error.value) == (2, "amount", "12,50")
    assert error.reason == (
        "'12,50' is not a euro amount (expected e.g. '1234.56'); "
        "for Dutch amounts (1.234,56) import with --decimal-comma"
    )
    (error,) = errors_of(f"{HEADER}\n{row(amount='12.5.0')}\n")
    assert "--decimal-comma" not in error.reason


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("booking_date", "2000-01-01"),
        ("booking_date", "2099-12-31"),
        ("district", ""),
        ("district", "WK051800"),
        ("reference", ""),
        ("reference", "R" * 64),
        ("provider", "P" * 200),
        ("invoice_reference", "I" * 64),
        ("description", "d" * 500),
        ("description", "order 123456789"),  # nine digits that fail the eleven-test
        ("description", "000000000"),  # passes the sum, but a BSN is never all zeros
        ("municipality", "GM0503"),
    ],
)
def test_a_good_cell_passes(column: str, value: str) -> None:
    text = f"{HEADER}\n{GOOD.replace('INV-1', 'INV-0')}\n{row(**{column: value})}\n"
    if column == "municipality":
        text = text.replace("WK051811", "")
    parsed = parse(text)
    assert len(parsed) == 2


def test_a_description_with_a_bsn_is_refused() -> None:
    # 111222333: 9+8+7+12+10+8+9+6-3 = 66, a multiple of 11
    (error,) = errors_of(f"{HEADER}\n{row(description='client 111222333 seen')}\n")
    # the error shows where the number was, not the number
    assert (error.line, error.column, error.value) == (2, "description", "client ••••••••• seen")
    assert "eleven-test" in error.reason


def test_ten_digits_are_no_bsn() -> None:
    assert len(parse(f"{HEADER}\n{row(description='1112223330')}\n")) == 1
    # (a ten-digit number starting with 0 is refused too, but as a phone number)
    assert len(parse(f"{HEADER}\n{row(description='ref 1112223330 x')}\n")) == 1


def test_duplicate_invoices_name_the_first_line() -> None:
    text = f"{HEADER}\n{GOOD}\n{row(invoice_reference='INV-2')}\n{GOOD}\n{GOOD}\n"
    with pytest.raises(SpendingFileError) as caught:
        parse(text)
    assert caught.value.errors == [
        RowError(4, "invoice_reference", "INV-1", "duplicate invoice reference: also on line 2"),
        RowError(5, "invoice_reference", "INV-1", "duplicate invoice reference: also on line 2"),
    ]
    assert list(caught.value.invoices) == ["INV-1", "INV-2", "INV-1", "INV-1"]
    assert list(caught.value.lines) == [2, 3, 4, 5]


def test_errors_come_in_line_then_column_order() -> None:
    bad = row(booking_date="2025-13-01", domain="none", amount="x", invoice_reference="")
    errors = errors_of(f"{HEADER}\n{bad}\n{row(municipality='GM9999', district='')}\n")
    assert [(e.line, e.column) for e in errors] == [
        (2, "booking_date"),
        (2, "domain"),
        (2, "amount"),
        (2, "invoice_reference"),
        (3, "municipality"),
    ]


def test_every_row_holding_a_bad_value_is_listed() -> None:
    text = f"{HEADER}\n" + "\n".join(row(domain="x", invoice_reference=f"I{i}") for i in range(3))
    assert [(e.line, e.column) for e in errors_of(text + "\n")] == [
        (2, "domain"),
        (3, "domain"),
        (4, "domain"),
    ]


def test_a_file_error_without_rows_has_no_invoices() -> None:
    with pytest.raises(SpendingFileError) as caught:
        parse("")
    assert str(caught.value) == "1 errors"
    assert list(caught.value.invoices) == []
    assert list(caught.value.lines) == []


def test_an_error_as_a_dict() -> None:
    assert RowError(3, "amount", "x", "bad").as_dict() == {
        "line": 3,
        "column": "amount",
        "value": "x",
        "reason": "bad",
    }


def test_the_bsn_reason_in_full_and_the_weights_of_the_eleven_test() -> None:
    # 123456782: 9·1 + 8·2 + … + 2·8 − 2 = 154 = 14 · 11
    (error,) = errors_of(f"{HEADER}\n{row(description='nr 123456782')}\n")
    assert error.reason == (
        "personal data is not accepted: the description holds a citizen service number (BSN: "
        "nine digits that pass the eleven-test) (not repeated here); remove it from the export"
    )


def test_the_separator_is_read_from_the_header_line_only() -> None:
    text = f"{HEADER}\n{row(description='a; b')}\n{row(invoice_reference='INV-2')}\n"
    assert list(parse(text).description) == ["a; b", "zorg"]


def test_a_semicolon_file_with_a_blank_line() -> None:
    header = HEADER.replace(",", ";")
    text = (
        f"{header}\n{GOOD.replace(',', ';')}\n\n{row(invoice_reference='I2').replace(',', ';')}\n"
    )
    parsed = parse(text)
    assert list(parsed.invoice_reference) == ["INV-1", "I2"]
    assert parsed.lines.tolist() == [2, 4]


def test_only_the_value_over_the_limit_is_named() -> None:
    text = (
        f"{HEADER}\n{row(reference='R' * 64)}\n"
        f"{row(reference='S' * 65, invoice_reference='INV-2')}\n"
    )
    assert [(e.line, e.column) for e in errors_of(text)] == [(3, "reference")]


def test_the_parsed_arrays_have_their_types() -> None:
    parsed = parse(f"{HEADER}\r\n{GOOD}\r\n")
    assert parsed.copy_safe  # the line ends are normalised before the fast reader
    assert parsed.lines.dtype == np.int64
    assert parsed.day.dtype == parsed.year.dtype == parsed.month.dtype == np.int32
    assert parsed.amount_cents.dtype == np.int64
    assert parsed.coded["domain"].codes.dtype == np.int32


def test_a_district_of_another_municipality_among_many_pairs() -> None:
    rows = [
        row(municipality="GM0503", district="WK050301", invoice_reference="I1"),
        row(municipality="GM0518", district="WK051801", invoice_reference="I2"),
        row(municipality="GM0503", district="WK051801", invoice_reference="I3"),
        row(municipality="GM0518", district="", invoice_reference="I4"),
        row(municipality="GM0518", district="WK050301", invoice_reference="I5"),
    ]
    errors = errors_of(HEADER + "\n" + "\n".join(rows) + "\n")
    assert [(e.line, e.value, e.reason) for e in errors] == [
        (4, "WK051801", "district WK051801 is not in GM0503"),
        (6, "WK050301", "district WK050301 is not in GM0518"),
    ]


def test_a_row_of_the_wrong_width_is_not_repeated_in_its_error() -> None:
    """A misaligned row can hold personal data in any field; its error names only line and width."""
    bsn = "111222333"  # passes the eleven-test
    row = GOOD.replace("zorg", f"zorg,{bsn},jan@example.nl")
    errors = errors_of(f"{HEADER}\n{row}\n")
    assert errors == [RowError(2, "", "", "11 fields where the header has 9")]
    assert bsn not in repr(errors)
    assert "example.nl" not in repr(errors)


# --- control characters: the exact reasons, and the pre-check that spares a clean file ------


def test_a_control_character_in_the_description_names_its_code_point() -> None:
    errors = errors_of(HEADER + "\n" + GOOD.replace("zorg", "zo\x01rg") + "\n")
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (
            2,
            "description",
            "holds a control character (U+0001); only text, tabs and line breaks are accepted",
        )
    ]


def test_nul_outside_the_description_is_named_nul() -> None:
    errors = errors_of(HEADER + "\n" + GOOD.replace("INV-1", "INV\x00-1") + "\n")
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (
            2,
            "invoice_reference",
            "holds a control character (NUL); only printable text is accepted",
        )
    ]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        # spaces, a CR before each newline: nothing a field may not hold
        ("\r\n".join([HEADER, GOOD, GOOD.replace("INV-1", "INV-2"), ""]), ","),
        # tabs separate the fields, so none is inside one
        (HEADER.replace(",", "\t") + "\n" + GOOD.replace(",", "\t") + "\n", "\t"),
    ],
)
def test_a_clean_file_skips_the_scan_for_control_characters(text: str, delimiter: str) -> None:
    """The per-value scan is the slow part of a large import; the byte pre-check must let a
    file through when its only bytes below 32 are the line ends and separating tabs."""
    read = text.replace("\r\n", "\n")  # as parse_spending reads it; the bytes keep the CRs
    table = _fast_table(read, delimiter)
    assert table is not None
    assert table.plain
    assert not _has_control(text.encode(), table, read, delimiter)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        (HEADER + "\n" + GOOD.replace("zorg", "zo\x1frg") + "\n", ","),
        (HEADER + "\n" + GOOD.replace("zorg", "zo\trg") + "\n", ","),
    ],
)
def test_a_control_byte_or_a_stray_tab_needs_the_scan(text: str, delimiter: str) -> None:
    table = _fast_table(text, delimiter)
    assert table is not None
    assert _has_control(text.encode(), table, text, delimiter)


# --- amounts at the limit of one booking, on the fast path and off it --------------------------

OVER_THE_LIMIT = "more than € 1.000.000.000 in one booking"


@pytest.mark.parametrize(
    "value",
    [
        "1000000000.00",  # the fast path
        "-1000000000.00",
        "1000000000",  # no decimals: parse_cents
        "-1000000000",
    ],
)
def test_one_billion_euro_is_the_most_one_booking_holds(value: str) -> None:
    cents, errors = parse_amounts([value], decimal_comma=False)
    assert errors == {}
    assert abs(int(cents[0])) == 100_000_000_000


@pytest.mark.parametrize("value", ["1000000000.01", "1000000001", "-1000000001"])
def test_one_cent_more_is_refused_with_its_reason(value: str) -> None:
    _, errors = parse_amounts(["1.00", value], decimal_comma=False)
    assert errors == {1: OVER_THE_LIMIT}


def test_every_dutch_amount_with_thousands_dots_is_read() -> None:
    """Each of several grouped amounts is read, not only the first."""
    cents, errors = parse_amounts(["1.234,56", "2.345,67", "12,50", "3.000,00"], decimal_comma=True)
    assert errors == {}
    assert cents.tolist() == [123456, 234567, 1250, 300000]


def test_the_comma_hint_is_the_one_the_caller_gives() -> None:
    """The web form and the command line name their own option for Dutch amounts."""
    with pytest.raises(SpendingFileError) as caught:
        parse_spending(
            ("\n".join([HEADER, row(amount='"12,50"')]) + "\n").encode(),
            decimal_comma=False,
            municipalities=REGION,
            comma_hint="tick 'Dutch amounts'",
        )
    (error,) = caught.value.errors
    assert error.column == "amount"
    assert error.reason.endswith("; for Dutch amounts (1.234,56) tick 'Dutch amounts'")


def test_two_kinds_of_personal_data_in_one_value_are_both_named() -> None:
    bsn = "111222333"  # passes the eleven-test
    errors = errors_of(f"{HEADER}\n{row(description=f'client {bsn} jan@example.nl')}\n")
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (
            2,
            "description",
            "personal data is not accepted: the description holds a citizen service number "
            "(BSN: nine digits that pass the eleven-test) and an e-mail address "
            "(not repeated here); remove it from the export",
        )
    ]
