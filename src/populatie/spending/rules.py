"""What a valid row of a spending file is: its columns, bounds and rules per value, and the
validated file as columns. Shared by the two readers (:mod:`populatie.spending.parsing`, row
by row, and :mod:`populatie.spending.arrow_reader`, column by column), so both apply the very
same rules."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from populatie.configuration import DOMAINS
from populatie.core.money import parse_cents
from populatie.spending.coded import Coded
from populatie.spending.detail import DETAIL_COLUMNS, Detail

__all__ = [
    "ALL_COLUMNS",
    "CODED",
    "COLUMNS",
    "COMMA_HINT",
    "FREE_TEXT",
    "MAX_LENGTH",
    "MAX_ROW_CENTS",
    "OPTIONAL_COLUMNS",
    "ParsedSpending",
    "content_hash",
    "date_reason",
    "district_elsewhere",
    "district_reason",
    "domain_reason",
    "municipality_reason",
    "parse_amounts",
    "provider_reason",
    "year_and_month",
]

COLUMNS: tuple[str, ...] = (
    "booking_date",
    "municipality",
    "district",
    "reference",
    "domain",
    "provider",
    "amount",
    "invoice_reference",
    "description",
)
#: Every column a file may have: the nine above, then the optional detail of a regional
#: contract's booking (:mod:`populatie.spending.detail`).
ALL_COLUMNS: tuple[str, ...] = (*COLUMNS, *DETAIL_COLUMNS)
OPTIONAL_COLUMNS = frozenset({"district", "reference", "description", *DETAIL_COLUMNS})
MAX_LENGTH = {
    "reference": 64,
    "provider": 200,
    "invoice_reference": 64,
    "description": 500,
}
#: No single booking is more than a billion euro; beyond it a row is surely a mistake, and the
#: bound keeps every sum of a file far inside 64-bit cents.
MAX_ROW_CENTS = 100_000_000_000

#: Free-text columns, checked for personal data by value (references only by column name).
FREE_TEXT = ("provider", "description")
#: How the import's caller names the option for Dutch amounts (the API names its own field).
COMMA_HINT = "import with --decimal-comma"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MUNICIPALITY = re.compile(r"GM\d{4}")
_DISTRICT = re.compile(r"WK\d{6}")
_GROUPED_COMMA = re.compile(r"-?\d{1,3}(?:\.\d{3})+,\d\d")
_UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

#: Columns with few distinct values: checked once per value, and grouped by their codes.
CODED = ("booking_date", "municipality", "district", "reference", "domain", "provider")


@dataclass
class ParsedSpending:
    """A valid file as columns (row ``i`` of every column belongs to file line ``lines[i]``)."""

    content_hash: str
    lines: npt.NDArray[np.int64]
    booked_on: Sequence[str]  # ISO dates, as the databases take them
    day: npt.NDArray[np.int32]  # proleptic ordinal of the booking date
    year: npt.NDArray[np.int32]
    month: npt.NDArray[np.int32]
    municipality: Sequence[str]
    district: Sequence[str]  # "" = none
    reference: Sequence[str]  # "" = none
    domain: Sequence[str]
    provider: Sequence[str]
    amount_cents: npt.NDArray[np.int64]
    invoice_reference: Sequence[str]
    description: Sequence[str]
    copy_safe: bool = False  # no value holds a tab, backslash or line break
    coded: dict[str, Coded] = field(default_factory=dict)  # the columns in CODED
    detail: Detail | None = None  # the optional detail columns; None: no row has any
    #: The file's columns as pyarrow read them (by column name; a column the file lacks is
    #: absent), where the column-wise reader read the file: the rows can then go to
    #: PostgreSQL without a Python string per field (:mod:`populatie.spending.arrow_copy`).
    arrow: Mapping[str, Any] | None = None

    def __len__(self) -> int:
        return int(self.lines.size)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def date_reason(value: str) -> str | None:
    """Why a booking date is refused, or None."""
    if not _DATE.fullmatch(value):
        return "not a date written YYYY-MM-DD"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return "no such date"
    if not 2000 <= day.year <= 2099:
        return "a booking date must lie in 2000–2099"
    return None


def municipality_reason(value: str, known: Container[str]) -> str | None:
    if value in known:
        return None
    if not _MUNICIPALITY.fullmatch(value):
        return "not a CBS municipality code (GMnnnn)"
    return "not a municipality of the region"


def district_reason(value: str) -> str | None:
    return None if not value or _DISTRICT.fullmatch(value) else "not a CBS district code (WKnnnnnn)"


def domain_reason(value: str) -> str | None:
    return None if value in DOMAINS else f"not a domain; domains are {', '.join(DOMAINS)}"


def provider_reason(value: str) -> str | None:
    return None if value.strip() else "provider is empty"


def district_elsewhere(municipality: str, district: str, known: Container[str]) -> bool:
    """A valid district code of another municipality than the row's (a known one)."""
    return (
        municipality in known
        and bool(district)
        and _DISTRICT.fullmatch(district) is not None
        and district[2:6] != municipality[2:]
    )


ZERO_AMOUNT = "an amount of zero books nothing"


def parse_amounts(
    values: Sequence[str], *, decimal_comma: bool, comma_hint: str = COMMA_HINT
) -> tuple[npt.NDArray[np.int64], dict[int, str]]:
    """Cents for every amount, and the reason for every index that is not a valid amount.

    The common form (optional minus, digits, the decimal separator and exactly two decimals,
    no thousands separators) is recognised and converted by numpy; anything else goes through
    :func:`~populatie.core.money.parse_cents`, so the result is always what that function says.
    """
    n = len(values)
    cents = np.zeros(n, dtype=np.int64)
    errors: dict[int, str] = {}
    if n == 0:
        return cents, errors
    arr = np.asarray(values, dtype=np.str_)
    sep = "," if decimal_comma else "."
    length = np.strings.str_len(arr)
    negative = np.strings.startswith(arr, "-")
    body = np.where(negative, np.strings.slice(arr, 1, None), arr)
    body_length = length - negative
    digits = np.strings.replace(body, sep, "", 1)
    fast = (
        (np.strings.find(body, sep) == body_length - 3)
        & (body_length >= 4)
        & (body_length <= 14)
        & np.strings.isdigit(digits)
        & (np.strings.str_len(digits) == body_length - 1)
    )
    if fast.any():
        magnitude = digits[fast].astype(np.int64)
        cents[fast] = np.where(negative[fast], -magnitude, magnitude)
    for i in np.flatnonzero(~fast).tolist():
        value = values[i]
        if decimal_comma and _GROUPED_COMMA.fullmatch(value) and len(value) <= 20:
            cents[i] = int(value.replace(".", "").replace(",", ""))  # "1.234,56", the usual form
            continue
        try:
            parsed = parse_cents(value, decimal_comma=decimal_comma)
        except ValueError as exc:
            reason = str(exc)
            if not decimal_comma and "," in value:
                reason += f"; for Dutch amounts (1.234,56) {comma_hint}"
            errors[i] = reason
            continue
        if abs(parsed) > MAX_ROW_CENTS:  # also keeps it inside 64-bit cents
            errors[i] = "more than € 1.000.000.000 in one booking"
            continue
        cents[i] = parsed
    bad = np.flatnonzero((np.abs(cents) > MAX_ROW_CENTS) | (cents == 0)).tolist()
    for i in bad:
        if i not in errors:
            errors[i] = ZERO_AMOUNT if cents[i] == 0 else "more than € 1.000.000.000 in one booking"
    return cents, errors


def year_and_month(
    day: npt.NDArray[np.int32],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """The calendar year and month of every proleptic ordinal, in numpy."""
    calendar_day = (day - _UNIX_EPOCH_ORDINAL).astype("datetime64[D]")
    months_since_1970 = calendar_day.astype("datetime64[M]").astype(np.int64)
    return (
        (months_since_1970 // 12 + 1970).astype(np.int32),
        (months_since_1970 % 12 + 1).astype(np.int32),
    )
