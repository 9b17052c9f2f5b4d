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
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from populatie.spending import personal_data
from populatie.spending.arrow_reader import read_valid
from populatie.spending.coded import Coded
from populatie.spending.detail import check_detail
from populatie.spending.rules import (
    ALL_COLUMNS,
    CODED,
    COLUMNS,
    COMMA_HINT,
    FREE_TEXT,
    MAX_LENGTH,
    MAX_ROW_CENTS,
    OPTIONAL_COLUMNS,
    ZERO_AMOUNT,
    ParsedSpending,
    content_hash,
    date_reason,
    district_elsewhere,
    district_reason,
    domain_reason,
    municipality_reason,
    parse_amounts,
    provider_reason,
    year_and_month,
)

__all__ = [
    "ALL_COLUMNS",
    "COLUMNS",
    "COMMA_HINT",
    "MAX_ROW_CENTS",
    "OPTIONAL_COLUMNS",
    "Coded",
    "ParsedSpending",
    "RowError",
    "SpendingFileError",
    "content_hash",
    "parse_amounts",
    "parse_spending",
]

# C0 control characters but tab, line feed and carriage return: refused in every field. Those
# three are layout, accepted in the description and refused in every other field.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LAYOUT = re.compile(r"[\t\n\r]")


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


def visible(value: str) -> str:
    """``value`` with its control characters written as ``\\xNN``, fit to show in an error."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


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
    digest: str | None = None,
) -> ParsedSpending:
    """Parse and validate the bytes of a spending file; raise :class:`SpendingFileError`
    listing every problem, or return the file as validated columns.

    ``municipalities`` are the codes of record (the region's); the check that no invoice
    reference was imported before needs the database and is the caller's. ``segments`` are
    the segments of record with their years (:func:`populatie.spending.detail.check_detail`).
    ``digest`` is the file's :func:`content_hash` where the caller has it already.
    """
    step = on_step or (lambda _name: None)
    known = set(municipalities)
    digest = digest or content_hash(data)
    # The common, valid file is read column-wise by pyarrow; any other, row-wise below.
    parsed = read_valid(
        data,
        decimal_comma=decimal_comma,
        municipalities=known,
        segments=segments,
        comma_hint=comma_hint,
        digest=digest,
    )
    if parsed is not None:
        for name in ("read", "checked", "amounts"):
            step(name)
        return parsed
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

    report("booking_date", date_reason)
    report("municipality", lambda v: municipality_reason(v, known))
    report("district", district_reason)
    report("domain", domain_reason)
    report("provider", provider_reason)
    # A district of another municipality than the row's: checked per distinct pair.
    of_municipality, of_district = coded["municipality"], coded["district"]
    pair = of_municipality.codes.astype(np.int64) * len(of_district.values) + of_district.codes
    pairs, first_of_pair = np.unique(pair, return_index=True)
    mismatched = [
        int(p)
        for p, i in zip(pairs.tolist(), first_of_pair.tolist(), strict=True)
        if district_elsewhere(columns["municipality"][i], columns["district"][i], known)
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
        # A dropout may be reported without money: nothing more is due after it. Only a
        # zero is forgiven; an amount that could not be read stays an error.
        amount_errors = {
            i: reason
            for i, reason in amount_errors.items()
            if not (reason == ZERO_AMOUNT and detail.stage[i] == "dropout")
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
    year, month = year_and_month(day)
    return ParsedSpending(
        content_hash=digest,
        lines=line_of,
        booked_on=columns["booking_date"],
        day=day,
        year=year,
        month=month,
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
