"""The optional detail columns of a spending file: what a regional contract's booking says
beyond its amount (segment, iJw product, quantity and unit, stage of an assignment).

All six columns are optional and may be empty on any row, so a file of before still imports
as it was. Checked per distinct value where values repeat (segments, products, units, stages,
quantities); the assignment references, which hardly repeat, in one pass. Quantities are
decimals with at most two places, stored as whole hundredths: never a float.

The iJw product code: iJw messages (JW301 assignment, JW323 declaration; the iStandaarden of
Zorginstituut Nederland) name a two-digit national product category (41 dagbehandeling, 43/44
verblijf, 45 ambulant, 46 crisis, 47 jeugdreclassering, 48 jeugdbescherming, …) and a product
code the municipalities define within it (their standard list is JZ21). A file writes the two
together in five positions: the two digits of the category and three letters or digits of the
product, e.g. ``45A12``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from populatie.spending.coded import Coded
from populatie.spending.personal_data import elf_proof

__all__ = [
    "DETAIL_COLUMNS",
    "PRODUCT",
    "STAGES",
    "UNITS",
    "Detail",
    "assignment_reason",
    "check_detail",
    "parse_quantity",
    "segment_reason",
]

DETAIL_COLUMNS: tuple[str, ...] = (
    "segment",
    "product_code",
    "quantity",
    "unit",
    "stage",
    "assignment_reference",
)
STAGES: tuple[str, ...] = ("start", "completion", "dropout")
UNITS: tuple[str, ...] = ("hour", "day", "week", "month", "trajectory", "minute", "piece")
#: At most ten million units in one booking: beyond it a quantity is surely a mistake.
MAX_QUANTITY_HUNDREDTHS = 1_000_000_000

PRODUCT = re.compile(r"\d{2}[0-9A-Z]{3}")
_ASSIGNMENT = re.compile(r"[0-9A-Za-z]{1,20}")
_QUANTITY = re.compile(r"(\d{1,8})(?:[.,](\d{1,2}))?")
_BSN_SHAPE = re.compile(r"\d{9}")

#: (row index, column, reason), as the parser collects them.
Problem = tuple[int, str, str]


@dataclass(frozen=True)
class Detail:
    """The detail columns of a valid file; ``present`` is False when no row has any."""

    present: bool
    segment: Sequence[str]
    product_code: Sequence[str]
    quantity_hundredths: Sequence[int | None]
    unit: Sequence[str]
    stage: Sequence[str]
    assignment_reference: Sequence[str]
    #: The columns as codes (where checked), for the import to group rows without coding again.
    coded: Mapping[str, Coded] = field(default_factory=dict)


def parse_quantity(value: str, *, decimal_comma: bool) -> int:
    """A quantity (``"1.5"``, or ``"1,5"`` in a Dutch file) as whole hundredths (150)."""
    match = _QUANTITY.fullmatch(value)
    separator = value[len(match[1])] if match and match[2] else None
    if match is None or (separator is not None and separator != ("," if decimal_comma else ".")):
        raise ValueError(
            "not a quantity: write a number with at most two decimals, e.g. "
            + ("1,5" if decimal_comma else "1.5")
        )
    hundredths = int(Decimal(f"{match[1]}.{match[2] or '0'}") * 100)
    if hundredths == 0:
        raise ValueError("a quantity of zero books nothing")
    if hundredths > MAX_QUANTITY_HUNDREDTHS:
        raise ValueError("more than 10,000,000 units in one booking")
    return hundredths


def _per_value(
    column: str,
    values: Coded,
    check: Callable[[str], str | None],
    problems: list[Problem],
) -> None:
    """Check each distinct value once; a problem for every row holding a failing one."""
    reasons = {k: r for k, v in enumerate(values.values) if v and (r := check(v)) is not None}
    if reasons:
        codes = values.codes
        problems.extend(
            (i, column, reasons[int(codes[i])]) for i in values.rows_where(list(reasons))
        )


def _given(values: Coded) -> npt.NDArray[np.bool_]:
    """Which rows have a value (not the empty string)."""
    empty = [k for k, v in enumerate(values.values) if not v]
    if not empty:
        return np.ones(values.codes.size, dtype=bool)
    given: npt.NDArray[np.bool_] = values.codes != empty[0]
    return given


def assignment_reason(value: str) -> str | None:
    if not _ASSIGNMENT.fullmatch(value):
        return "not an assignment reference: 1 to 20 letters or digits"
    if _BSN_SHAPE.fullmatch(value) and elf_proof(value):
        return (
            "personal data is not accepted: nine digits that pass the eleven-test look like a "
            "citizen service number (BSN), not an assignment reference"
        )
    return None


def check_detail(
    columns: Mapping[str, Sequence[str]],
    booked_on: Sequence[str],
    *,
    decimal_comma: bool,
    segments: Mapping[str, tuple[int, int | None]] | None,
    problems: list[Problem],
) -> Detail:
    """Check the detail columns of every row; append a problem per bad value or combination.

    ``segments`` maps each segment code to its first and last year (None: open-ended); a
    segment must apply in the row's booking year. None skips that check (no register).
    """
    n = len(booked_on)
    present = any(any(columns[name]) for name in DETAIL_COLUMNS)
    if not present:
        return Detail(
            present=False,
            segment=columns["segment"],
            product_code=columns["product_code"],
            quantity_hundredths=[None] * n,
            unit=columns["unit"],
            stage=columns["stage"],
            assignment_reference=columns["assignment_reference"],
        )
    coded = {name: Coded.of(columns[name]) for name in DETAIL_COLUMNS}
    segment = columns["segment"]
    if segments is not None and any(segment):
        # Per distinct pair of segment and booking year.
        years = Coded.of([day[:4] for day in booked_on])
        pair = coded["segment"].codes.astype(np.int64) * len(years.values) + years.codes
        distinct, first = np.unique(pair, return_index=True)
        failing = {}
        for p, i in zip(distinct.tolist(), first.tolist(), strict=True):
            if segment[i] and (reason := segment_reason(segment[i], booked_on[i][:4], segments)):
                failing[p] = reason
        if failing:
            for i in np.flatnonzero(np.isin(pair, list(failing))).tolist():
                problems.append((i, "segment", failing[int(pair[i])]))
    _per_value(
        "product_code",
        coded["product_code"],
        lambda v: (
            None
            if PRODUCT.fullmatch(v)
            else "not an iJw product code: 2 digits of the category and 3 letters or digits, "
            "e.g. 45A12"
        ),
        problems,
    )
    quantities: dict[str, int | None] = {}

    def quantity_reason(value: str) -> str | None:
        try:
            quantities[value] = parse_quantity(value, decimal_comma=decimal_comma)
        except ValueError as exc:
            quantities[value] = None
            return str(exc)
        return None

    _per_value("quantity", coded["quantity"], quantity_reason, problems)
    _per_value(
        "unit",
        coded["unit"],
        lambda v: None if v in UNITS else f"not a unit; units are {', '.join(UNITS)}",
        problems,
    )
    _per_value(
        "stage",
        coded["stage"],
        lambda v: None if v in STAGES else f"not a stage; stages are {', '.join(STAGES)}",
        problems,
    )
    _per_value("assignment_reference", coded["assignment_reference"], assignment_reason, problems)
    product, quantity, unit = (_given(coded[n]) for n in ("product_code", "quantity", "unit"))
    stage, assignment = _given(coded["stage"]), _given(coded["assignment_reference"])
    # In this order, so that a row's two problems with its product read as they always did.
    for rows, column, reason in (
        (quantity & ~product, "product_code", "a quantity needs the product it counts"),
        (unit & ~quantity, "quantity", "a unit needs a quantity"),
        (stage & ~assignment, "assignment_reference", "a stage needs the assignment it belongs to"),
        (stage & ~product, "product_code", "a stage needs the product of the assignment"),
    ):
        problems.extend((i, column, reason) for i in np.flatnonzero(rows).tolist())
    by_value = np.array(
        [quantities.get(v) if v else None for v in coded["quantity"].values], dtype=object
    )
    return Detail(
        True,
        segment,
        columns["product_code"],
        by_value[coded["quantity"].codes].tolist(),
        columns["unit"],
        columns["stage"],
        columns["assignment_reference"],
        coded,
    )


def segment_reason(
    code: str, year_text: str, segments: Mapping[str, tuple[int, int | None]]
) -> str | None:
    if code not in segments:
        return f"not a segment; segments are {', '.join(sorted(segments)) or 'none of record'}"
    if not year_text.isdigit():
        return None  # the booking date has its own error
    first, last = segments[code]
    year = int(year_text)
    if year < first or (last is not None and year > last):
        until = f"to {last}" if last is not None else "on"
        return f"segment {code} applies from {first} {until}, not in {year}"
    return None
