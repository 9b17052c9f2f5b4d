"""Read and validate a spending CSV, whole, column by column, without touching a database.

A file is checked entirely before anything is written, and every problem is reported as
*line, column, value, reason*. The checks run per column rather than per row: columns with few
distinct values (dates, codes, domains, providers) are checked once per distinct value, and the
amounts are recognised and converted by numpy in one pass, falling back to
:func:`populatie.core.money.parse_cents` (the rule of record) for any amount the fast path does
not recognise. That keeps a million-row file to a few seconds.

The format (UTF-8, header row, ``,`` or ``;`` separated; see the README)::

    booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,description
    2025-03-14,GM0518,WK051811,H10-2024-DH-P2,specialist,Stichting Jeugdformaat,1234.56,INV-1,…

Personal data is refused at the door: a column that looks like a BSN, a client's name, a birth
date or an address rejects the file, and so does a description holding a number that passes
the BSN eleven-test.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from populatie.configuration import DOMAINS
from populatie.core.money import parse_cents

__all__ = [
    "COLUMNS",
    "MAX_ROW_CENTS",
    "OPTIONAL_COLUMNS",
    "ParsedSpending",
    "RowError",
    "content_hash",
    "parse_amounts",
    "parse_spending",
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
OPTIONAL_COLUMNS = frozenset({"district", "reference", "description"})
MAX_LENGTH = {
    "reference": 64,
    "provider": 200,
    "invoice_reference": 64,
    "description": 500,
}
#: No single booking is more than a billion euro; beyond it a row is surely a mistake, and the
#: bound keeps every sum of a file far inside 64-bit cents.
MAX_ROW_CENTS = 100_000_000_000

# Header names that mean personal data, matched on the name lower-cased with only letters and
# digits kept. What they say is in the reason shown to the user.
_PERSONAL_DATA: tuple[tuple[str, str], ...] = (
    ("bsn", "a citizen service number (BSN)"),
    ("burgerservice", "a citizen service number (BSN)"),
    ("sofi", "a citizen service number (sofinummer)"),
    ("client", "data about a client"),
    ("naam", "a name"),
    ("name", "a name"),
    ("birth", "a birth date"),
    ("geboorte", "a birth date"),
    ("dob", "a birth date"),
    ("adres", "an address"),
    ("address", "an address"),
    ("postcode", "an address (postcode)"),
    ("zipcode", "an address (postcode)"),
    ("telefoon", "a phone number"),
    ("phone", "a phone number"),
    ("email", "an e-mail address"),
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MUNICIPALITY = re.compile(r"GM\d{4}")
_DISTRICT = re.compile(r"WK\d{6}")
_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")
_GROUPED_COMMA = re.compile(r"-?\d{1,3}(?:\.\d{3})+,\d\d")
_UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


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

    def __len__(self) -> int:
        return int(self.lines.size)


class SpendingFileError(Exception):
    """The file is invalid; ``errors`` lists every problem (raised by :func:`parse_spending`)."""

    def __init__(
        self,
        errors: list[RowError],
        invoices: Sequence[str] = (),
        lines: Sequence[int] = (),
    ) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors
        # The invoice references and their lines, when the rows could be read: the caller adds
        # the references imported before to the list of errors.
        self.invoices = invoices
        self.lines = lines


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _personal_data(name: str) -> str | None:
    squashed = re.sub(r"[^a-z0-9]", "", name.lower().replace("ë", "e"))
    for needle, meaning in _PERSONAL_DATA:
        if needle in squashed:
            return meaning
    return None


def _elf_proof(digits: str) -> bool:
    """The BSN eleven-test: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a positive multiple of 11."""
    total = sum((9 - i) * int(d) for i, d in enumerate(digits[:8])) - int(digits[8])
    return total > 0 and total % 11 == 0


def parse_amounts(
    values: Sequence[str], *, decimal_comma: bool
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
            cents[i] = parse_cents(values[i], decimal_comma=decimal_comma)
        except ValueError as exc:
            reason = str(exc)
            if not decimal_comma and "," in values[i]:
                reason += "; for Dutch amounts (1.234,56) import with --decimal-comma"
            errors[i] = reason
    bad = np.flatnonzero((np.abs(cents) > MAX_ROW_CENTS) | (cents == 0)).tolist()
    for i in bad:
        if i not in errors:
            errors[i] = (
                "an amount of zero books nothing"
                if cents[i] == 0
                else "more than € 1.000.000.000 in one booking"
            )
    return cents, errors


def _check_distinct(
    values: Sequence[str],
    check: Callable[[str], str | None],
) -> dict[str, str]:
    """Run ``check`` once per distinct value; the values that fail, with their reason."""
    bad = {}
    for value in set(values):
        reason = check(value)
        if reason is not None:
            bad[value] = reason
    return bad


def _rows(text: str, delimiter: str) -> tuple[list[str], list[list[str]], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return [], [], []
    rows = list(reader)
    # Lines: one per row, unless a quoted field spans lines or blank lines are skipped; then
    # read again, keeping the line each row starts on.
    lines = list(range(2, len(rows) + 2))
    if text.count("\n") - text.endswith("\n") != len(rows) or any(not r for r in rows):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        next(reader)
        rows, lines = [], []
        start = reader.line_num + 1
        for row in reader:
            if row:
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    return header, rows, lines


def parse_spending(
    data: bytes,
    *,
    decimal_comma: bool,
    municipalities: Iterable[str],
    on_step: Callable[[str], None] | None = None,
) -> ParsedSpending:
    """Parse and validate the bytes of a spending file; raise :class:`SpendingFileError`
    listing every problem, or return the file as validated columns.

    ``municipalities`` are the codes of record (the region's); the check that no invoice
    reference was imported before needs the database and is the caller's.
    """
    step = on_step or (lambda _name: None)
    known = set(municipalities)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpendingFileError(
            [RowError(line, "", repr(data[exc.start : exc.start + 8]), "not UTF-8 text")]
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line else ("\t" if "\t" in first_line else ",")
    try:
        header, rows, lines = _rows(text, delimiter)
    except csv.Error as exc:
        raise SpendingFileError([RowError(0, "", "", f"not a readable CSV file: {exc}")]) from None
    step("read")

    if not header:
        raise SpendingFileError(
            [RowError(1, "", "", "the file is empty: a header row is required")]
        )
    errors: list[RowError] = []
    names = [h.strip() for h in header]
    for name in names:
        meaning = _personal_data(name)
        if meaning is not None:
            errors.append(
                RowError(
                    1,
                    name,
                    name,
                    f"personal data is not accepted: the column looks like {meaning}; remove it "
                    "from the export",
                )
            )
        elif name not in COLUMNS:
            errors.append(
                RowError(1, name, name, f"unknown column; the columns are {', '.join(COLUMNS)}")
            )
    for name, count in Counter(names).items():
        if count > 1:
            errors.append(RowError(1, name, name, "the column appears more than once"))
    for name in COLUMNS:
        if name not in names and name not in OPTIONAL_COLUMNS:
            errors.append(RowError(1, name, "", "required column is missing"))
    if not rows:
        errors.append(RowError(2, "", "", "the file has a header but no rows"))
    if errors:
        raise SpendingFileError(errors)

    width = len(names)
    if any(len(r) != width for r in rows):
        for line, row in zip(lines, rows, strict=True):
            if len(row) != width:
                errors.append(
                    RowError(
                        line,
                        "",
                        delimiter.join(row)[:80],
                        f"{len(row)} fields where the header has {width}",
                    )
                )
        raise SpendingFileError(errors)

    n = len(rows)
    transposed = list(zip(*rows, strict=True))
    del rows
    empty = ("",) * n
    columns: dict[str, Sequence[str]] = {
        name: transposed[names.index(name)] if name in names else empty for name in COLUMNS
    }
    line_of = np.asarray(lines, dtype=np.int64)
    bad_rows: list[tuple[int, str, str]] = []  # (index, column, reason)

    def report(column: str, bad: dict[str, str]) -> None:
        if bad:
            for i, value in enumerate(columns[column]):
                if value in bad:
                    bad_rows.append((i, column, bad[value]))

    # Dates: once per distinct value.
    ordinal: dict[str, int] = {}

    def check_date(value: str) -> str | None:
        if not _DATE.fullmatch(value):
            return "not a date written YYYY-MM-DD"
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return "no such date"
        if not 2000 <= day.year <= 2099:
            return "a booking date must lie in 2000–2099"
        ordinal[value] = day.toordinal()
        return None

    report("booking_date", _check_distinct(columns["booking_date"], check_date))
    report(
        "municipality",
        _check_distinct(
            columns["municipality"],
            lambda v: (
                None
                if v in known
                else (
                    "not a CBS municipality code (GMnnnn)"
                    if not _MUNICIPALITY.fullmatch(v)
                    else "not a municipality of the region"
                )
            ),
        ),
    )
    pairs = set(zip(columns["municipality"], columns["district"], strict=True))
    bad_pairs = {}
    for municipality, district in pairs:
        if not district:
            continue
        if not _DISTRICT.fullmatch(district):
            bad_pairs[(municipality, district)] = "not a CBS district code (WKnnnnnn)"
        elif municipality in known and district[2:6] != municipality[2:]:
            bad_pairs[(municipality, district)] = f"district {district} is not in {municipality}"
    if bad_pairs:
        for i, pair in enumerate(zip(columns["municipality"], columns["district"], strict=True)):
            if pair in bad_pairs:
                bad_rows.append((i, "district", bad_pairs[pair]))
    report(
        "domain",
        _check_distinct(
            columns["domain"],
            lambda v: None if v in DOMAINS else f"not a domain; domains are {', '.join(DOMAINS)}",
        ),
    )
    report(
        "provider",
        _check_distinct(columns["provider"], lambda v: None if v.strip() else "provider is empty"),
    )
    for name, limit in MAX_LENGTH.items():
        if max(map(len, columns[name])) > limit:
            for i, value in enumerate(columns[name]):
                if len(value) > limit:
                    bad_rows.append((i, name, f"longer than {limit} characters"))
    invoices = columns["invoice_reference"]
    if "" in set(invoices):
        for i, value in enumerate(invoices):
            if not value:
                bad_rows.append((i, "invoice_reference", "invoice reference is empty"))
    if len(set(invoices)) != n:
        first: dict[str, int] = {}
        for i, value in enumerate(invoices):
            if value and value in first:
                bad_rows.append(
                    (
                        i,
                        "invoice_reference",
                        f"duplicate invoice reference: also on line {lines[first[value]]}",
                    )
                )
            first.setdefault(value, i)
    descriptions = columns["description"]
    joined = "\n".join(descriptions)
    if _NINE_DIGITS.search(joined):
        for i, value in enumerate(descriptions):
            if any(_elf_proof(m) for m in _NINE_DIGITS.findall(value)):
                bad_rows.append(
                    (
                        i,
                        "description",
                        "personal data is not accepted: the description holds a number that "
                        "passes the BSN eleven-test",
                    )
                )
    step("checked")
    amounts, amount_errors = parse_amounts(columns["amount"], decimal_comma=decimal_comma)
    bad_rows.extend((i, "amount", reason) for i, reason in amount_errors.items())
    step("amounts")

    if bad_rows:
        bad_rows.sort(key=lambda e: (e[0], COLUMNS.index(e[1])))
        raise SpendingFileError(
            [
                RowError(int(line_of[i]), column, columns[column][i], reason)
                for i, column, reason in bad_rows
            ],
            invoices=invoices,
            lines=lines,
        )

    dates = columns["booking_date"]
    day = np.fromiter(map(ordinal.__getitem__, dates), dtype=np.int32, count=n)
    calendar_day = (day - _UNIX_EPOCH_ORDINAL).astype("datetime64[D]")
    months_since_1970 = calendar_day.astype("datetime64[M]").astype(np.int64)
    return ParsedSpending(
        content_hash=content_hash(data),
        lines=line_of,
        booked_on=dates,
        day=day,
        year=(months_since_1970 // 12 + 1970).astype(np.int32),
        month=(months_since_1970 % 12 + 1).astype(np.int32),
        municipality=columns["municipality"],
        district=columns["district"],
        reference=columns["reference"],
        domain=columns["domain"],
        provider=columns["provider"],
        amount_cents=amounts,
        invoice_reference=invoices,
        description=descriptions,
    )
