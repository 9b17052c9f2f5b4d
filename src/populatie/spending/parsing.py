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

Personal data is refused at the door (:mod:`populatie.spending.personal_data`): a column
whose name announces it rejects the file, and so does a provider or description holding a BSN,
an e-mail address, a phone number or a full date; the error names the kind and hides the value.
Control characters are refused in every field: they have no place in a booking, and a
spreadsheet cannot hold most of them, so one such row would break every export after it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from populatie.configuration import DOMAINS
from populatie.core.money import parse_cents
from populatie.spending import personal_data
from populatie.spending.coded import Coded
from populatie.spending.detail import DETAIL_COLUMNS, Detail, check_detail

__all__ = [
    "ALL_COLUMNS",
    "COLUMNS",
    "MAX_ROW_CENTS",
    "OPTIONAL_COLUMNS",
    "Coded",
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
# C0 control characters but tab, line feed and carriage return: refused in every field. Those
# three are layout, accepted in the description and refused in every other field.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LAYOUT = re.compile(r"[\t\n\r]")
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


def visible(value: str) -> str:
    """``value`` with its control characters written as ``\\xNN``, fit to show in an error."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


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
            errors[i] = (
                "an amount of zero books nothing"
                if cents[i] == 0
                else "more than € 1.000.000.000 in one booking"
            )
    return cents, errors


@dataclass
class _Table:
    """A file read column by column: ``columns[k][i]`` is field k of row i, on ``lines[i]``."""

    header: list[str]
    columns: list[list[str]]
    lines: npt.NDArray[np.int64]
    bad_widths: list[RowError]
    plain: bool = False  # read by the fast path: no value holds a line break
    longest_line: int = 2**31  # in bytes, where known

    @property
    def rows(self) -> int:
        return int(self.lines.size)


def _fast_table(text: str, delimiter: str) -> _Table | None:
    """The common file, read without a Python call per row.

    The positions of the newlines, separators and quotes are found with numpy; separators
    inside quotes are masked, the whole text is split at once and the columns sliced out of
    the result; only quoted cells are touched one by one. That covers what exports write
    (plain fields, and quoted ones holding the separator), at a fraction of the time of a
    reader that builds a list per row. Anything else (a quote inside a quoted field, a field
    over several lines, blank lines, a line with another number of fields) returns None, for
    :func:`_csv_table` to read.
    """
    if "\r" in text or "\x00" in text:
        return None
    body = text[:-1] if text.endswith("\n") else text
    if not body or body.startswith("\n") or body.endswith("\n") or "\n\n" in body:
        return None  # blank lines: the csv module skips them
    sep = ord(delimiter)
    buffer = bytearray(body.encode("utf-8"))
    raw = np.frombuffer(buffer, dtype=np.uint8)
    ends = np.append(np.flatnonzero(raw == 10), raw.size)  # where each line ends
    seps = np.flatnonzero(raw == sep)
    quotes = np.flatnonzero(raw == 34)
    repair: list[tuple[int, int]] = []
    if quotes.size:
        opens, closes = quotes[0::2], quotes[1::2]
        if quotes.size % 2 or opens[0] < ends[0]:
            return None  # unbalanced, or quotes in the header
        before = raw[opens - 1]
        after = raw[np.minimum(closes + 1, raw.size - 1)]
        if (
            (np.searchsorted(ends, opens) != np.searchsorted(ends, closes)).any()
            or ((before != sep) & (before != 10)).any()
            or ((after != sep) & (after != 10) & (closes + 1 < raw.size)).any()
        ):
            return None  # a field over lines, or a quote that does not open or close a field
        # Separators between an opening and its closing quote: a running count that steps up
        # at each opening and down at each closing, over the separators in file order.
        steps = np.zeros(seps.size + 1, dtype=np.int32)
        np.add.at(steps, np.searchsorted(seps, opens), 1)
        np.add.at(steps, np.searchsorted(seps, closes), -1)
        inside = np.cumsum(steps[:-1]) > 0
        raw[seps[inside]] = 0  # masked; put back below
        seps = seps[~inside]
        line = np.searchsorted(ends, opens)
        starts = np.concatenate(([0], ends[:-1] + 1))
        column = np.searchsorted(seps, opens) - np.searchsorted(seps, starts[line])
        repair = list(zip(line.tolist(), column.tolist(), strict=True))
    per_line = np.diff(np.searchsorted(seps, ends), prepend=0)
    width = int(per_line[0]) + 1
    if (per_line != width - 1).any():
        return None
    flat = buffer.decode("utf-8").replace("\n", delimiter).split(delimiter)
    columns = [flat[width + k :: width] for k in range(width)]
    for row, k in repair:  # drop the quotes, put the masked separators back
        columns[k][row - 1] = columns[k][row - 1][1:-1].replace("\x00", delimiter)
    return _Table(
        header=body.split("\n", 1)[0].split(delimiter),
        columns=columns,
        lines=np.arange(2, ends.size + 1, dtype=np.int64),
        bad_widths=[],
        plain=True,
        longest_line=int(np.diff(ends, prepend=-1).max()),
    )


def _csv_table(text: str, delimiter: str) -> _Table:
    """Any CSV the csv module reads: quoted fields (also over several lines), blank lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = next(reader, [])
    rows: list[list[str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    for row in reader:
        if row:
            rows.append(row)
            lines.append(start)
        start = reader.line_num + 1
    width = len(header)
    bad = [
        # the row itself is not repeated: a misaligned row may hold personal data in any field
        RowError(line, "", "", f"{len(row)} fields where the header has {width}")
        for line, row in zip(lines, rows, strict=True)
        if len(row) != width
    ]
    columns: list[list[str]] = (
        [list(c) for c in zip(*rows, strict=True)] if rows and not bad else [[] for _ in header]
    )
    return _Table(header, columns, np.asarray(lines, dtype=np.int64), bad)


def parse_spending(
    data: bytes,
    *,
    decimal_comma: bool,
    municipalities: Iterable[str],
    on_step: Callable[[str], None] | None = None,
    comma_hint: str = COMMA_HINT,
    segments: Mapping[str, tuple[int, int | None]] | None = None,
) -> ParsedSpending:
    """Parse and validate the bytes of a spending file; raise :class:`SpendingFileError`
    listing every problem, or return the file as validated columns.

    ``municipalities`` are the codes of record (the region's); the check that no invoice
    reference was imported before needs the database and is the caller's. ``segments`` are
    the segments of record with their years (:func:`populatie.spending.detail.check_detail`).
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
    text = text.replace("\r\n", "\n")
    try:
        table = _fast_table(text, delimiter) or _csv_table(text, delimiter)
    except csv.Error as exc:
        raise SpendingFileError([RowError(0, "", "", f"not a readable CSV file: {exc}")]) from None
    step("read")

    header = table.header
    if not header:
        raise SpendingFileError(
            [RowError(1, "", "", "the file is empty: a header row is required")]
        )
    errors: list[RowError] = []
    names = [h.strip() for h in header]
    for name in names:
        meaning = personal_data.column_kind(name)
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
        elif name not in ALL_COLUMNS:
            errors.append(
                RowError(1, name, name, f"unknown column; the columns are {', '.join(ALL_COLUMNS)}")
            )
    for name, count in Counter(names).items():
        if count > 1:
            errors.append(RowError(1, name, name, "the column appears more than once"))
    for name in ALL_COLUMNS:
        if name not in names and name not in OPTIONAL_COLUMNS:
            errors.append(RowError(1, name, "", "required column is missing"))
    if not table.rows:
        errors.append(RowError(2, "", "", "the file has a header but no rows"))
    if errors:
        raise SpendingFileError(errors)
    if table.bad_widths:
        raise SpendingFileError(table.bad_widths)

    n = table.rows
    lines = table.lines.tolist()
    empty = ("",) * n
    columns: dict[str, Sequence[str]] = {
        name: table.columns[names.index(name)] if name in names else empty for name in ALL_COLUMNS
    }
    line_of = table.lines
    bad_rows: list[tuple[int, str, str]] = []  # (index, column, reason)
    shown: dict[tuple[int, str], str] = {}  # the value an error shows, where not the value
    coded = {name: Coded.of(columns[name]) for name in CODED}

    def report(column: str, check: Callable[[str], str | None]) -> None:
        """Check each distinct value once; list the rows holding a failing one."""
        reasons = {i: r for i, v in enumerate(coded[column].values) if (r := check(v))}
        if reasons:
            rows = np.flatnonzero(np.isin(coded[column].codes, list(reasons)))
            codes = coded[column].codes
            bad_rows.extend((int(i), column, reasons[int(codes[i])]) for i in rows)

    def check_date(value: str) -> str | None:
        if not _DATE.fullmatch(value):
            return "not a date written YYYY-MM-DD"
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return "no such date"
        if not 2000 <= day.year <= 2099:
            return "a booking date must lie in 2000–2099"
        return None

    def check_municipality(value: str) -> str | None:
        if value in known:
            return None
        if not _MUNICIPALITY.fullmatch(value):
            return "not a CBS municipality code (GMnnnn)"
        return "not a municipality of the region"

    report("booking_date", check_date)
    report("municipality", check_municipality)
    report(
        "district",
        lambda v: None if not v or _DISTRICT.fullmatch(v) else "not a CBS district code (WKnnnnnn)",
    )
    report(
        "domain",
        lambda v: None if v in DOMAINS else f"not a domain; domains are {', '.join(DOMAINS)}",
    )
    report("provider", lambda v: None if v.strip() else "provider is empty")
    # A district of another municipality than the row's: checked per distinct pair.
    of_municipality, of_district = coded["municipality"], coded["district"]
    pair = of_municipality.codes.astype(np.int64) * len(of_district.values) + of_district.codes
    pairs, first_of_pair = np.unique(pair, return_index=True)
    mismatched = [
        int(p)
        for p, i in zip(pairs.tolist(), first_of_pair.tolist(), strict=True)
        if (m := columns["municipality"][i]) in known
        and (d := columns["district"][i])
        and _DISTRICT.fullmatch(d)
        and d[2:6] != m[2:]
    ]
    if mismatched:
        for i in np.flatnonzero(np.isin(pair, mismatched)).tolist():
            bad_rows.append(
                (
                    i,
                    "district",
                    f"district {columns['district'][i]} is not in {columns['municipality'][i]}",
                )
            )
    for name, limit in MAX_LENGTH.items():
        if table.longest_line <= limit:
            continue  # no field can be longer than its line
        values = columns[name]
        distinct = set(values) if name in ("reference", "provider") else values
        if max(map(len, distinct)) > limit:
            for i, value in enumerate(values):
                if len(value) > limit:
                    bad_rows.append((i, name, f"longer than {limit} characters"))
    invoices = columns["invoice_reference"]
    distinct_invoices = set(invoices)
    if "" in distinct_invoices:
        for i, value in enumerate(invoices):
            if not value:
                bad_rows.append((i, "invoice_reference", "invoice reference is empty"))
    if len(distinct_invoices) != n:
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
    if _has_control(data, table, text, delimiter):
        bad_rows.extend(_control_errors(columns))
    for name in FREE_TEXT:
        distinct = coded[name].values if name in coded else list(set(columns[name]))
        found = personal_data.find_in(distinct)
        if not found:
            continue
        holding = {distinct[k]: f for k, f in found.items()}
        for i, value in enumerate(columns[name]):
            if value in holding:
                findings = holding[value]
                kinds = sorted({f.kind for f in findings})
                bad_rows.append(
                    (
                        i,
                        name,
                        f"personal data is not accepted: the {name} holds "
                        + " and ".join(personal_data.KINDS[k] for k in kinds)
                        + " (not repeated here); remove it from the export",
                    )
                )
                shown[(i, name)] = personal_data.mask(value, findings)
    detail = check_detail(
        columns,
        columns["booking_date"],
        decimal_comma=decimal_comma,
        segments=segments,
        problems=bad_rows,
    )
    step("checked")
    amounts, amount_errors = parse_amounts(
        columns["amount"], decimal_comma=decimal_comma, comma_hint=comma_hint
    )
    if detail.present and "dropout" in detail.stage:
        # A dropout may be reported without money: nothing more is due after it.
        amount_errors = {
            i: reason
            for i, reason in amount_errors.items()
            if not (amounts[i] == 0 and detail.stage[i] == "dropout")
        }
    bad_rows.extend((i, "amount", reason) for i, reason in amount_errors.items())
    step("amounts")

    if bad_rows:
        bad_rows.sort(key=lambda e: (e[0], ALL_COLUMNS.index(e[1])))
        raise SpendingFileError(
            [
                RowError(
                    int(line_of[i]),
                    column,
                    visible(shown.get((i, column), columns[column][i])),
                    reason,
                )
                for i, column, reason in bad_rows
            ],
            invoices=invoices,
            lines=lines,
        )

    dates = coded["booking_date"]
    ordinals = np.array([date.fromisoformat(v).toordinal() for v in dates.values], dtype=np.int32)
    day = ordinals[dates.codes]
    calendar_day = (day - _UNIX_EPOCH_ORDINAL).astype("datetime64[D]")
    months_since_1970 = calendar_day.astype("datetime64[M]").astype(np.int64)
    return ParsedSpending(
        content_hash=content_hash(data),
        lines=line_of,
        booked_on=columns["booking_date"],
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
        copy_safe=table.plain and "\t" not in text and "\\" not in text,
        coded=coded,
        detail=detail if detail.present else None,
    )


def _has_control(data: bytes, table: _Table, text: str, delimiter: str) -> bool:
    """Whether some field may hold a character :func:`_control_errors` refuses: one pass of
    numpy over the bytes, and the layout characters only where the reader let them in."""
    raw = np.frombuffer(data, dtype=np.uint8)
    control = raw < 32
    if control.any() and (control & (raw != 9) & (raw != 10) & (raw != 13)).any():
        return True
    return not table.plain or (delimiter != "\t" and "\t" in text)


def _control_errors(columns: dict[str, Sequence[str]]) -> list[tuple[int, str, str]]:
    """A control character in any field; a tab or line break in any but the description."""
    found: list[tuple[int, str, str]] = []
    for name, values in columns.items():
        pattern = (
            _CONTROL
            if name == "description"
            else re.compile(f"{_CONTROL.pattern}|{_LAYOUT.pattern}")
        )
        if not pattern.search(" ".join(set(values))):
            continue
        for i, value in enumerate(values):
            hit = pattern.search(value)
            if hit:
                what = "NUL" if hit.group() == "\x00" else f"U+{ord(hit.group()):04X}"
                found.append(
                    (
                        i,
                        name,
                        f"holds a control character ({what}); "
                        + (
                            "only text, tabs and line breaks are accepted"
                            if name == "description"
                            else "only printable text is accepted"
                        ),
                    )
                )
    return found
