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
from dataclasses import dataclass
from decimal import Decimal

from populatie.spending.personal_data import elf_proof

__all__ = [
    "DETAIL_COLUMNS",
    "STAGES",
    "UNITS",
    "Detail",
    "check_detail",
    "parse_quantity",
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

_PRODUCT = re.compile(r"\d{2}[0-9A-Z]{3}")
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
    values: Sequence[str],
    check: Callable[[str], str | None],
    problems: list[Problem],
) -> None:
    reasons: dict[str, str | None] = {}
    for i, value in enumerate(values):
        if not value:
            continue
        if value not in reasons:
            reasons[value] = check(value)
        reason = reasons[value]
        if reason is not None:
            problems.append((i, column, reason))


def _assignment_reason(value: str) -> str | None:
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
    segment = columns["segment"]
    if segments is not None and any(segment):
        known = segments
        seen: dict[tuple[str, str], str | None] = {}
        for i, (code, day) in enumerate(zip(segment, booked_on, strict=True)):
            if not code:
                continue
            key = (code, day[:4])
            if key not in seen:
                seen[key] = _segment_reason(code, day[:4], known)
            reason = seen[key]
            if reason is not None:
                problems.append((i, "segment", reason))
    _per_value(
        "product_code",
        columns["product_code"],
        lambda v: (
            None
            if _PRODUCT.fullmatch(v)
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

    _per_value("quantity", columns["quantity"], quantity_reason, problems)
    _per_value(
        "unit",
        columns["unit"],
        lambda v: None if v in UNITS else f"not a unit; units are {', '.join(UNITS)}",
        problems,
    )
    _per_value(
        "stage",
        columns["stage"],
        lambda v: None if v in STAGES else f"not a stage; stages are {', '.join(STAGES)}",
        problems,
    )
    assignment = columns["assignment_reference"]
    _per_value("assignment_reference", assignment, _assignment_reason, problems)
    product, quantity, unit = columns["product_code"], columns["quantity"], columns["unit"]
    stage = columns["stage"]
    for i in range(n):
        if quantity[i] and not product[i]:
            problems.append((i, "product_code", "a quantity needs the product it counts"))
        if unit[i] and not quantity[i]:
            problems.append((i, "quantity", "a unit needs a quantity"))
        if stage[i]:
            if not assignment[i]:
                problems.append(
                    (i, "assignment_reference", "a stage needs the assignment it belongs to")
                )
            if not product[i]:
                problems.append((i, "product_code", "a stage needs the product of the assignment"))
    return Detail(
        True,
        segment,
        product,
        [quantities.get(v) if v else None for v in quantity],
        unit,
        stage,
        assignment,
    )


def _segment_reason(
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
