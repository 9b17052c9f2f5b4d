"""The spending file parser without a database: the vectorised amounts agree with the rule of
record (``parse_cents``) on any text, and the checks run per column."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.core.money import parse_cents
from populatie.spending.parsing import (
    MAX_ROW_CENTS,
    SpendingFileError,
    _csv_table,
    _fast_table,
    parse_amounts,
    parse_spending,
)

HEADER = "booking_date,municipality,district,reference,domain,provider,amount,invoice_reference"


def _reference(text: str, decimal_comma: bool) -> int | None:
    try:
        cents = parse_cents(text, decimal_comma=decimal_comma)
    except ValueError:
        return None
    return cents if cents != 0 and abs(cents) <= MAX_ROW_CENTS else None


# Dutch amounts whose thousands grouping is wrong: a group of other than three digits after a
# dot ("1.23,45", "1.2345,67", "1..234,00") or more than three digits before the first dot.
malformed_grouping = st.builds(
    lambda sign, head, groups, cents: f"{sign}{head}{''.join('.' + g for g in groups)},{cents}",
    st.sampled_from(["", "-", "+"]),
    st.from_regex(r"[1-9]\d{0,4}", fullmatch=True),
    st.lists(st.from_regex(r"\d{0,5}", fullmatch=True), min_size=1, max_size=4),
    st.from_regex(r"\d{2}", fullmatch=True),
).filter(lambda v: not re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+,\d\d", v))

amount_text = st.one_of(
    st.from_regex(r"-?\d{1,14}[.,]\d{2}", fullmatch=True),
    st.from_regex(r"[+-]?\d{1,3}(\.\d{3}){0,4}(,\d{1,4})?", fullmatch=True),
    malformed_grouping,
    st.from_regex(r"[+-]?\d{1,16}(\.\d{0,4})?", fullmatch=True),
    st.text(alphabet="0123456789.,-+ e٣", max_size=14),
)


@settings(max_examples=400)
@given(st.lists(amount_text, min_size=1, max_size=30), st.booleans())
def test_vectorised_amounts_equal_parse_cents(values: list[str], decimal_comma: bool) -> None:
    cents, errors = parse_amounts(values, decimal_comma=decimal_comma)
    for i, value in enumerate(values):
        expected = _reference(value, decimal_comma)
        if expected is None:
            assert i in errors, (value, int(cents[i]))
        else:
            assert i not in errors, (value, errors.get(i))
            assert int(cents[i]) == expected, value


@settings(max_examples=300)
@given(malformed_grouping)
def test_a_malformed_thousands_grouping_is_refused(value: str) -> None:
    """Never read as another amount (e.g. "1.23,45" as € 123,45): refused by the rule of
    record and by the vectorised path alike."""
    with pytest.raises(ValueError, match="not a euro amount"):
        parse_cents(value, decimal_comma=True)
    _, errors = parse_amounts(["1.234,56", value], decimal_comma=True)
    assert list(errors) == [1], value


def test_two_digit_thousands_groups_are_refused() -> None:
    cents, errors = parse_amounts(["1.23,45", "12.34.567,00", "1.234,56"], decimal_comma=True)
    assert sorted(errors) == [0, 1]
    assert int(cents[2]) == 123456


def test_an_amount_too_large_for_cents_is_a_line_error() -> None:
    values = ["99999999999999999999.99", "-99999999999999999999999999", "12.00"]
    cents, errors = parse_amounts(values, decimal_comma=False)
    assert sorted(errors) == [0, 1]
    assert all("1.000.000.000" in errors[i] for i in (0, 1))
    assert cents.tolist()[2] == 1200
    dutch = ["99.999.999.999.999.999.999,99", "99999999999999999999,99"]
    _, errors = parse_amounts(dutch, decimal_comma=True)
    assert sorted(errors) == [0, 1]


def test_amount_reasons() -> None:
    cents, errors = parse_amounts(
        ["1234.56", "-0.01", "1,50", "0.00", "1000000000.01", "12.345"], decimal_comma=False
    )
    assert cents[:2].tolist() == [123456, -1]
    assert "--decimal-comma" in errors[2]
    assert "zero" in errors[3]
    assert "1.000.000.000" in errors[4]
    assert "fraction of a cent" in errors[5]
    assert cents.dtype == np.int64


def test_columns_come_back_validated() -> None:
    data = (
        HEADER + "\n"
        "2025-01-31,GM0518,,C-1,access,P,1.00,I-1\n"
        '2025-12-01,GM0518,WK051801,C-1,specialist,"P, B.V.",-2.50,I-2\n'
    ).encode()
    parsed = parse_spending(data, decimal_comma=False, municipalities=["GM0518"])
    assert parsed.lines.tolist() == [2, 3]
    assert parsed.year.tolist() == [2025, 2025]
    assert parsed.month.tolist() == [1, 12]
    assert list(parsed.district) == ["", "WK051801"]
    assert list(parsed.description) == ["", ""]  # the optional column may be left out
    assert list(parsed.provider) == ["P", "P, B.V."]
    assert parsed.amount_cents.tolist() == [100, -250]


def test_lines_count_quoted_newlines_and_blank_lines() -> None:
    data = (
        HEADER + ",description\n"
        '2025-01-31,GM0518,,C-1,access,P,1.00,I-1,"two\nlines"\n'
        "\n"
        "2025-01-31,GM0518,,C-1,domain?,P,1.00,I-2,x\n"
    ).encode()
    with pytest.raises(SpendingFileError) as caught:
        parse_spending(data, decimal_comma=False, municipalities=["GM0518"])
    (error,) = caught.value.errors
    assert (error.line, error.column, error.value) == (5, "domain", "domain?")


def test_a_byte_order_mark_and_semicolons_are_understood() -> None:
    data = "\ufeff" + HEADER.replace(",", ";") + "\n2025-01-31;GM0518;;C;access;P;1,00;I\n"
    parsed = parse_spending(data.encode(), decimal_comma=True, municipalities=["GM0518"])
    assert parsed.amount_cents.tolist() == [100]


# What exports write: plain cells, and cells holding a separator (which the csv module quotes);
# the fast path must take all of these. Now and then a table with quotes or line breaks in its
# cells, which the fast path may leave to the csv module.
PLAIN = list("ab ,;\t1é")
AWKWARD = [*PLAIN, '"', "\n", "\r"]


def _tables(plain: bool) -> st.SearchStrategy[list[list[str]]]:
    cell = st.text(alphabet=st.sampled_from(PLAIN if plain else AWKWARD), max_size=6)
    # Plain header names are never quoted by the writer: no separator, quote or line break,
    # and not empty.
    name = (
        st.text(alphabet=st.sampled_from(list("ab \t1é")), min_size=1, max_size=6)
        if plain
        else cell
    )
    return st.integers(1, 4).flatmap(
        lambda width: st.tuples(
            st.lists(name, min_size=width, max_size=width),
            st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1),
        ).map(lambda table: [table[0], *table[1]])
    )


@settings(max_examples=300)
@given(
    st.sampled_from([True, True, True, True, False]).flatmap(
        lambda plain: st.tuples(st.just(plain), _tables(plain))
    ),
    st.sampled_from([",", ";"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_the_fast_reader_reads_what_the_csv_module_reads(
    drawn: tuple[bool, list[list[str]]], delimiter: str, newline: str
) -> None:
    """Written by the csv module (quoting what needs it), read back by the fast path: the
    same cells and lines as the csv module gives; for a table of plain cells always, for an
    awkward one whenever the fast path answers at all (else the csv module reads)."""
    plain, rows = drawn
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    text = out.getvalue().replace("\r\n", "\n")
    fast = _fast_table(text, delimiter)
    if fast is None:
        assert not plain, text
        return
    slow = _csv_table(text, delimiter)
    assert fast.header == slow.header
    assert fast.columns == slow.columns
    assert fast.lines.tolist() == slow.lines.tolist()


def test_the_fast_reader_takes_quoted_separators() -> None:
    text = 'a,b\n"x, y",1\nz,"2"\n'
    fast = _fast_table(text, ",")
    assert fast is not None
    assert fast.columns == [["x, y", "z"], ["1", "2"]]
