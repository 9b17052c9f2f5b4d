"""The detail columns are checked per distinct value (fast) with the same verdicts as a plain
check of every row, and a whole file is accepted or rejected alike by the vectorised reader
(pyarrow's, or the row-wise one of numpy) and by the csv module's reader, with the same errors
in the same order."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.spending import parsing
from populatie.spending.detail import (
    DETAIL_COLUMNS,
    STAGES,
    UNITS,
    assignment_reason,
    check_detail,
    parse_quantity,
    segment_reason,
)
from populatie.spending.parsing import ALL_COLUMNS, SpendingFileError, parse_spending

SEGMENTS = {"A": (2020, 2026), "NEW": (2027, None)}
PRODUCT_REASON = (
    "not an iJw product code: 2 digits of the category and 3 letters or digits, e.g. 45A12"
)


def per_row(
    columns: Mapping[str, Sequence[str]],
    booked_on: Sequence[str],
    decimal_comma: bool,
    segments: Mapping[str, tuple[int, int | None]],
) -> tuple[list[tuple[int, str, str]], list[int | None]]:
    """Every rule of the detail columns, row by row, as the rules read (the reference)."""
    problems: list[tuple[int, str, str]] = []
    quantities: list[int | None] = []
    for i, day in enumerate(booked_on):
        segment, product, quantity, unit, stage, assignment = (
            columns[name][i] for name in DETAIL_COLUMNS
        )
        if segment and (reason := segment_reason(segment, day[:4], segments)):
            problems.append((i, "segment", reason))
        if product and not re.fullmatch(r"\d{2}[0-9A-Z]{3}", product):
            problems.append((i, "product_code", PRODUCT_REASON))
        hundredths = None
        if quantity:
            try:
                hundredths = parse_quantity(quantity, decimal_comma=decimal_comma)
            except ValueError as exc:
                problems.append((i, "quantity", str(exc)))
        quantities.append(hundredths)
        if unit and unit not in UNITS:
            problems.append((i, "unit", f"not a unit; units are {', '.join(UNITS)}"))
        if stage and stage not in STAGES:
            problems.append((i, "stage", f"not a stage; stages are {', '.join(STAGES)}"))
        if assignment and (reason := assignment_reason(assignment)):
            problems.append((i, "assignment_reference", reason))
        if quantity and not product:
            problems.append((i, "product_code", "a quantity needs the product it counts"))
        if unit and not quantity:
            problems.append((i, "quantity", "a unit needs a quantity"))
        if stage and not assignment:
            problems.append(
                (i, "assignment_reference", "a stage needs the assignment it belongs to")
            )
        if stage and not product:
            problems.append((i, "product_code", "a stage needs the product of the assignment"))
    return problems, quantities


def _ordered(problems: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """As the parser reports them: by row, then column, in the order they were found."""
    return sorted(problems, key=lambda p: (p[0], ALL_COLUMNS.index(p[1])))


detail_values = {
    "segment": st.sampled_from(["", "A", "NEW", "Z"]),
    "product_code": st.sampled_from(["", "45A12", "41B01", "4A12", "45a12"]),
    "quantity": st.sampled_from(["", "1", "2.5", "2,5", "0", "1.234", "x", "99999999.99"]),
    "unit": st.sampled_from(["", "hour", "month", "parsec"]),
    "stage": st.sampled_from(["", "start", "completion", "dropout", "halfway"]),
    "assignment_reference": st.sampled_from(["", "TW0001", "111222333", "123456782", "A-1"]),
}
detail_row = st.fixed_dictionaries(
    {"booking_date": st.sampled_from(["2025-03-01", "2027-01-31", "20x5-01-01"])} | detail_values
)


@settings(max_examples=300, deadline=None)
@given(st.lists(detail_row, min_size=1, max_size=25), st.booleans())
def test_detail_checks_per_value_equal_the_checks_per_row(
    rows: list[dict[str, str]], decimal_comma: bool
) -> None:
    columns = {name: [r[name] for r in rows] for name in DETAIL_COLUMNS}
    booked_on = [r["booking_date"] for r in rows]
    problems: list[tuple[int, str, str]] = []
    detail = check_detail(
        columns, booked_on, decimal_comma=decimal_comma, segments=SEGMENTS, problems=problems
    )
    expected, quantities = per_row(columns, booked_on, decimal_comma, SEGMENTS)
    assert _ordered(problems) == _ordered(expected)
    if detail.present:
        assert list(detail.quantity_hundredths) == quantities
    else:
        assert not any(any(c) for c in columns.values())


HEADER = ",".join(ALL_COLUMNS)
FIELDS = {
    "booking_date": st.sampled_from(["2025-03-01", "2025-02-30", "1999-12-31", "3-1-2025"]),
    "municipality": st.sampled_from(["GM0518", "GM0599", "X"]),
    "district": st.sampled_from(["", "WK051801", "WK060301", "WK1"]),
    "reference": st.sampled_from(["", "H10-1", "x" * 65]),
    "domain": st.sampled_from(["specialist", "access", "garden"]),
    "provider": st.sampled_from(["Stichting Jeugdformaat", "", "Bel 0612345678", '"A, B"']),
    "amount": st.sampled_from(["12.50", "0.00", "1,5", "-3.00", "abc"]),
    "invoice_reference": st.sampled_from(["INV-1", "INV-2", "INV-3", ""]),
    "description": st.sampled_from(["care", "born 12-03-2014", '"two, words"', "tab\there"]),
    **detail_values,
}


def _outcome(data: bytes) -> object:
    try:
        parsed = parse_spending(
            data, decimal_comma=False, municipalities=["GM0518"], segments=SEGMENTS
        )
    except SpendingFileError as exc:
        return [e.as_dict() for e in exc.errors]
    return (
        parsed.lines.tolist(),
        parsed.amount_cents.tolist(),
        *(list(getattr(parsed, name)) for name in ("booked_on", "provider", "description")),
        None if parsed.detail is None else list(parsed.detail.quantity_hundredths),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries(FIELDS), min_size=1, max_size=12))
def test_the_vectorised_reader_and_the_csv_reader_agree_on_every_file(
    rows: list[dict[str, str]],
) -> None:
    text = "\n".join([HEADER, *(",".join(r[c] for c in ALL_COLUMNS) for r in rows)]) + "\n"
    data = text.encode()
    fast = _outcome(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parsing, "_fast_table", lambda _text, _delimiter: None)
        patch.setattr(parsing, "read_valid", lambda *_args, **_kwargs: None)
        slow = _outcome(data)
    assert fast == slow
