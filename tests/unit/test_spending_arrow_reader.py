"""The column-wise reader (pyarrow) against the row-wise one, which is the record: on any file
it either declines, or returns exactly what the row-wise reader returns; a file the row-wise
reader refuses it always declines, so the errors are the row-wise reader's."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from populatie.spending import parsing
from populatie.spending.arrow_reader import read_valid
from populatie.spending.coded import Coded
from populatie.spending.detail import DETAIL_COLUMNS
from populatie.spending.parsing import (
    ALL_COLUMNS,
    COLUMNS,
    ParsedSpending,
    SpendingFileError,
    parse_spending,
)

REGION = ["GM0518", "GM0503"]
SEGMENTS = {"A": (2020, 2026), "NEW": (2027, None)}
SCALARS = ("content_hash", "copy_safe")
ARRAYS = ("lines", "day", "year", "month", "amount_cents")
LISTS = (
    "booked_on",
    "municipality",
    "district",
    "reference",
    "domain",
    "provider",
    "invoice_reference",
    "description",
)


@contextmanager
def _row_wise() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parsing, "read_valid", lambda *_args, **_kwargs: None)
        yield


def _fast(data: bytes, decimal_comma: bool = False) -> ParsedSpending | None:
    return read_valid(
        data,
        decimal_comma=decimal_comma,
        municipalities=REGION,
        segments=SEGMENTS,
        comma_hint=parsing.COMMA_HINT,
    )


def _row_wise_outcome(data: bytes, decimal_comma: bool = False) -> ParsedSpending | list[object]:
    with _row_wise():
        try:
            return parse_spending(
                data, decimal_comma=decimal_comma, municipalities=REGION, segments=SEGMENTS
            )
        except SpendingFileError as exc:
            return [e.as_dict() for e in exc.errors]


def _assert_coded_equal(fast: Mapping[str, Coded], slow: Mapping[str, Coded]) -> None:
    assert set(fast) == set(slow)
    for name, coded in slow.items():
        assert fast[name].values == coded.values, name
        assert fast[name].codes.dtype == coded.codes.dtype, name
        assert fast[name].codes.tolist() == coded.codes.tolist(), name


def assert_same(fast: ParsedSpending, slow: ParsedSpending) -> None:
    for name in SCALARS:
        assert getattr(fast, name) == getattr(slow, name), name
    for name in ARRAYS:
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype, name
        assert a.tolist() == b.tolist(), name
    for name in LISTS:
        assert list(getattr(fast, name)) == list(getattr(slow, name)), name
    _assert_coded_equal(fast.coded, slow.coded)
    assert (fast.detail is None) == (slow.detail is None)
    if fast.detail is not None and slow.detail is not None:
        for name in (*DETAIL_COLUMNS[:2], "quantity_hundredths", *DETAIL_COLUMNS[3:]):
            assert list(getattr(fast.detail, name)) == list(getattr(slow.detail, name)), name
        _assert_coded_equal(fast.detail.coded, slow.detail.coded)


def _check(data: bytes, decimal_comma: bool = False) -> ParsedSpending | None:
    """Both readers on ``data``: the column-wise one declines or agrees; returns its answer."""
    fast = _fast(data, decimal_comma)
    slow = _row_wise_outcome(data, decimal_comma)
    if fast is not None:
        assert isinstance(slow, ParsedSpending), slow
        assert_same(fast, slow)
    return fast


def _write(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue().encode()


VALID_FIELDS = {
    "booking_date": st.sampled_from(["2025-03-01", "2024-12-31", "2026-01-15"]),
    "municipality": st.sampled_from(REGION),
    "district": st.sampled_from(["", "01", "12"]),  # the district's number in the municipality
    "reference": st.sampled_from(["", "H10-1", "C-2"]),
    "domain": st.sampled_from(["specialist", "access", "prevention"]),
    "provider": st.sampled_from(["Stichting Jeugdformaat", "Zorg, B.V.", "Ré"]),
    "amount": st.sampled_from(["12.50", "-3.00", "1234567.89", "0.01", "7"]),
    "description": st.sampled_from(["", "care", "two, words", "é"]),
    "segment": st.sampled_from(["", "A"]),
    "product_code": st.sampled_from(["45A12"]),
    "quantity": st.sampled_from(["", "1", "2.5"]),
    "unit": st.sampled_from(["", "hour"]),
    "stage": st.sampled_from(["", "start", "dropout"]),
    "assignment_reference": st.sampled_from(["TW0001", "111222334", "A1"]),
}


def _valid_row(fields: dict[str, str], k: int) -> dict[str, str]:
    row = {**fields, "invoice_reference": f"INV-{k}"}
    if row["district"]:
        row["district"] = f"WK{row['municipality'][2:]}{row['district']}"
    if not row["quantity"]:
        row["unit"] = ""
    return row


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.fixed_dictionaries(VALID_FIELDS), min_size=1, max_size=15),
    st.sampled_from([ALL_COLUMNS, COLUMNS]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_a_valid_file_is_read_column_wise_and_alike(
    drawn: list[dict[str, str]], columns: tuple[str, ...], newline: str, bom: bool
) -> None:
    """Files as exports write them (quoted separators, CRLF, a byte-order mark, with or
    without the detail columns) are taken by the column-wise reader, with the same result."""
    rows = [_valid_row(fields, k) for k, fields in enumerate(drawn)]
    data = _write([list(columns), *([r[c] for c in columns] for r in rows)], newline=newline)
    if bom:
        data = b"\xef\xbb\xbf" + data
    assert _check(data) is not None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fixed_dictionaries(VALID_FIELDS), min_size=1, max_size=10))
def test_dutch_files_separated_by_semicolons_alike(drawn: list[dict[str, str]]) -> None:
    rows = [_valid_row(fields, k) for k, fields in enumerate(drawn)]
    for row in rows:
        dutch = row["amount"].replace(".", ",")
        row["amount"] = "1.234.567,89" if dutch == "1234567,89" else dutch
        row["quantity"] = row["quantity"].replace(".", ",")
    data = _write([list(ALL_COLUMNS), *([r[c] for c in ALL_COLUMNS] for r in rows)], delimiter=";")
    assert _check(data, decimal_comma=True) is not None


# Every field drawn from good and bad values, quoting and layout included: whatever the file,
# the column-wise reader declines or agrees.
ANY_FIELDS = {
    "booking_date": st.sampled_from(["2025-03-01", "2025-02-30", "1999-12-31", "2027-01-01"]),
    "municipality": st.sampled_from(["GM0518", "GM0599", "X"]),
    "district": st.sampled_from(["", "WK051801", "WK050301", "WK1"]),
    "reference": st.sampled_from(["", "H10-1", "x" * 65]),
    "domain": st.sampled_from(["specialist", "garden"]),
    "provider": st.sampled_from(["P", "", " ", "Bel 0612345678", "a@b.nl", '"A, B"', "x\x01"]),
    "amount": st.sampled_from(["12.50", "0.00", "-0.00", "0", "1,5", "abc", "1e3", "+1.00"]),
    "invoice_reference": st.sampled_from(["INV-1", "INV-2", "INV-3", ""]),
    "description": st.sampled_from(["care", "born 12-03-2014", "two\nlines", "tab\there", "\\"]),
    "segment": st.sampled_from(["", "A", "NEW", "Z"]),
    "product_code": st.sampled_from(["", "45A12", "4A12"]),
    "quantity": st.sampled_from(["", "1", "2,5", "0", "x"]),
    "unit": st.sampled_from(["", "hour", "parsec"]),
    "stage": st.sampled_from(["", "start", "dropout", "halfway"]),
    "assignment_reference": st.sampled_from(["", "TW0001", "123456782", "A-1"]),
}


spoils = st.lists(
    st.tuples(st.integers(0, 9), st.sampled_from(ALL_COLUMNS)).flatmap(
        lambda at: st.tuples(st.just(at[0]), st.just(at[1]), ANY_FIELDS.get(at[1], st.just("")))
    ),
    max_size=2,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.fixed_dictionaries(VALID_FIELDS), min_size=1, max_size=10),
    spoils,
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_on_any_file_the_column_wise_reader_declines_or_agrees(
    drawn: list[dict[str, str]],
    spoiled: list[tuple[int, str, str]],
    newline: str,
    raw: bool,
) -> None:
    """A valid file with up to two fields spoiled by any value, good or bad, written by the
    csv module (quoting what needs it) or joined raw (quotes and line breaks as they fall)."""
    rows = [_valid_row(fields, k) for k, fields in enumerate(drawn)]
    for at, column, value in spoiled:
        rows[at % len(rows)][column] = value
    cells = [list(ALL_COLUMNS), *([r[c] for c in ALL_COLUMNS] for r in rows)]
    if raw:
        data = (newline.join(",".join(row) for row in cells) + newline).encode()
    else:
        data = _write(cells, newline=newline)
    _check(data)


@pytest.mark.parametrize(
    ("body", "why", "valid"),
    [
        ("2025-03-01,GM0518,,,access,P,1.00,I-1,care\n\n", "a blank line", True),
        ('2025-03-01,GM0518,,,access,P,1.00,I-1,ca"re\n', "a quote inside a field", True),
        ('2025-03-01,GM0518,,,access,"P"x,1.00,I-1,care\n', "text after a closing quote", False),
        ('2025-03-01,GM0518,,,access,"P ""Q""",1.00,I-1,care\n', "a doubled quote", True),
        ('2025-03-01,GM0518,,,access,P,1.00,I-1,"two\nlines"\n', "a field over two lines", True),
        ("2025-03-01,GM0518,,,access,P,1.00,I-1,tab\there\n", "a tab in a field", True),
        ("2025-03-01,GM0518,,,access,P,1.00,I-1,care\rx\n", "a lone carriage return", False),
        ("2025-03-01,GM0518,,,access,P,0.00,I-1,care\n", "an amount of zero", False),
        ("2025-03-01,GM0518,,,access,P,1.00,I-1\n", "a field missing", False),
        ("2025-02-30,GM0518,,,access,P,1.00,I-1,care\n", "no such date", False),
        ("2025-03-01,GM0599,,,access,P,1.00,I-1,care\n", "a municipality of elsewhere", False),
        ("2025-03-01,GM0518,WK050301,,access,P,1.00,I-1,care\n", "a district of elsewhere", False),
        ("2025-03-01,GM0518,,,garden,P,1.00,I-1,care\n", "no domain", False),
        ("2025-03-01,GM0518,,,access, ,1.00,I-1,care\n", "no provider", False),
        ("2025-03-01,GM0518,,,access,Bel 0612345678,1.00,I-1,care\n", "a phone number", False),
        ("2025-03-01,GM0518,,,access,P,1.00,I-1,born 12-03-2014\n", "a date of birth", False),
        ("2025-03-01,GM0518,,,access,P,1.00,I-1,care\n" * 2, "an invoice twice", False),
        ("2025-03-01,GM0518,,,access,P,1.00,,care\n", "no invoice", False),
        ("2025-03-01,GM0518,,,access,P,1.001,I-1,care\n", "a fraction of a cent", False),
        ("2025-03-01,GM0518,,,access,P,1000000000.01,I-1,care\n", "more than a billion", False),
        (f"2025-03-01,GM0518,,,access,{'P' * 201},1.00,I-1,care\n", "a long provider", False),
    ],
)
def test_the_column_wise_reader_leaves_these_files_to_the_row_wise_one(
    body: str, why: str, valid: bool
) -> None:
    """Layouts it does not read as the csv module does, valid or not, and every problem."""
    data = (",".join(COLUMNS) + "\n" + body).encode()
    assert _fast(data) is None, why
    assert isinstance(_row_wise_outcome(data), ParsedSpending) == valid, why


@pytest.mark.parametrize(
    ("detail", "why"),
    [
        ("Z,45A12,,,,", "no segment"),
        ("NEW,45A12,,,,", "a segment of later years"),
        (",4A12,,,,", "no product code"),
        (",45A12,0,,,", "a quantity of zero"),
        (",45A12,1,parsec,,", "no unit"),
        (",45A12,1,,halfway,TW1", "no stage"),
        (",45A12,,,start,", "a stage without an assignment"),
        (",,,,start,TW1", "a stage without a product"),
        (",,1,,,", "a quantity without a product"),
        (",45A12,,hour,,", "a unit without a quantity"),
        (",45A12,,,start,123456782", "a BSN for an assignment"),
        (",45A12,,,start,A-1", "an assignment of other characters"),
    ],
)
def test_detail_with_a_problem_is_left_to_the_row_wise_reader(detail: str, why: str) -> None:
    header = ",".join((*COLUMNS, *DETAIL_COLUMNS))
    data = f"{header}\n2025-03-01,GM0518,,,access,P,1.00,I-1,care,{detail}\n".encode()
    assert _fast(data) is None, why
    assert isinstance(_row_wise_outcome(data), list), why


def test_an_unusual_amount_goes_through_the_rule_of_record() -> None:
    """ "7", "+1.00" and the Dutch "1.234,56" are not the common form, and still valid."""
    rows = [
        ["2025-03-01", "GM0518", "", "", "access", "P", amount, f"I-{k}", ""]
        for k, amount in enumerate(["7", "+1.00", "1234.5", "12.50"])
    ]
    parsed = _check(_write([list(COLUMNS), *rows]))
    assert parsed is not None
    assert parsed.amount_cents.tolist() == [700, 100, 123450, 1250]


def test_a_dropout_without_money_is_valid() -> None:
    header = [*COLUMNS, *DETAIL_COLUMNS]
    row = ["2025-03-01", "GM0518", "", "", "specialist", "P", "0.00", "I-1", ""]
    parsed = _check(_write([header, [*row, "", "45A12", "", "", "dropout", "TW1"]]))
    assert parsed is not None
    assert parsed.amount_cents.tolist() == [0]


def test_a_file_of_many_blocks_reads_as_one() -> None:
    """pyarrow reads a large file in blocks; the codes of every column still point into one
    list of distinct values, numbered in order of first appearance as the row-wise reader's."""
    rng = np.random.default_rng(7)
    n = 30_000
    header = [*COLUMNS, *DETAIL_COLUMNS]
    days = [f"2025-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    rows = [
        [
            days[int(rng.integers(len(days)))],
            REGION[int(rng.integers(2))],
            "",
            f"C-{int(rng.integers(40))}",
            "specialist",
            f"Provider {int(rng.integers(300))}",
            f"{int(rng.integers(1, 100_000))}.{int(rng.integers(100)):02d}",
            f"INV-{k}",
            f"row {int(rng.integers(5_000))}",
            "",
            "45A12",
            f"{int(rng.integers(1, 40))}",
            "hour",
            "",
            f"TW{int(rng.integers(20_000))}",
        ]
        for k in range(n)
    ]
    data = _write([header, *rows])
    assert len(data) > 2 * 2**20  # pyarrow reads blocks of a megabyte
    parsed = _check(data)
    assert parsed is not None
    assert len(parsed) == n
    assert parsed.coded["provider"].values == list(dict.fromkeys(r[5] for r in rows))
