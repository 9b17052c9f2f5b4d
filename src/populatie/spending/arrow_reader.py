"""Read a valid spending file of the common form with pyarrow, or say that it cannot.

Reading a million-row file field by field in Python was most of an import's time. pyarrow
reads the CSV in C++ on every core, and the checks then run per column: once per distinct value
where values repeat (dates, codes, providers, products), with arrow's compute functions where
they do not (amounts, invoice and assignment references).

This reader only ever *accepts*. A file it is not sure to read exactly as the csv module does
(quotes other than around whole fields on one line, blank lines, a control character, a tab
other than as the separator, a carriage return other than in CRLF, an odd header) and a file
with any problem at all make it answer None; :func:`populatie.spending.parsing.parse_spending`
then reads the file row-wise, and its verdict and error messages are the record. A valid file
gets the same columns either way, an invalid one the same errors.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from populatie.spending import personal_data
from populatie.spending.coded import Coded
from populatie.spending.detail import (
    DETAIL_COLUMNS,
    PRODUCT,
    STAGES,
    UNITS,
    Detail,
    assignment_reason,
    parse_quantity,
    segment_reason,
)
from populatie.spending.rules import (
    ALL_COLUMNS,
    CODED,
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

__all__ = ["read_valid"]

_NEWLINE, _RETURN, _TAB, _QUOTE = 10, 13, 9, 34


class _ReferError(Exception):
    """The file is for the row-wise reader to judge."""


def read_valid(
    data: bytes,
    *,
    decimal_comma: bool,
    municipalities: Collection[str],
    segments: Mapping[str, tuple[int, int | None]] | None,
    comma_hint: str,
    digest: str | None = None,
) -> ParsedSpending | None:
    """The file as validated columns, exactly as ``parse_spending`` returns them; None when
    the file is not of the common form or has any problem (see the module docstring).
    ``digest`` is the file's :func:`content_hash` where the caller has it already."""
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    header_end = body.find(b"\n")
    if header_end <= 0 or b'"' in body[:header_end]:
        return None
    try:
        header = body[:header_end].decode("utf-8").removesuffix("\r")
    except UnicodeDecodeError:
        return None
    delimiter = ";" if ";" in header else ("\t" if "\t" in header else ",")
    names = [h.strip() for h in header.split(delimiter)]
    if not _header_ok(names):
        return None
    ends = _line_ends(body, delimiter)
    if ends is None:
        return None
    table = _read(body, delimiter, len(names))
    if table is None:
        return None
    n = table.num_rows
    lines = ends.size + (0 if body.endswith(b"\n") else 1)
    if n == 0 or n != lines - 1:
        return None  # a blank line somewhere: its line numbers are the row-wise reader's
    arrays = {name: table.column(k) for k, name in enumerate(names)}
    return _checked(
        digest or content_hash(data),
        arrays,
        n,
        decimal_comma=decimal_comma,
        known=frozenset(municipalities),
        segments=segments,
        comma_hint=comma_hint,
        copy_safe=delimiter != "\t" and b"\\" not in body,  # tabs only as separators
    )


def _header_ok(names: list[str]) -> bool:
    return (
        len(set(names)) == len(names)
        and set(names) <= set(ALL_COLUMNS)
        and set(ALL_COLUMNS) - OPTIONAL_COLUMNS <= set(names)
        and all(personal_data.column_kind(name) is None for name in names)
    )


def _line_ends(body: bytes, delimiter: str) -> npt.NDArray[np.intp] | None:
    """Where each line ends; None when some byte may be read otherwise by pyarrow than by the
    row-wise reader, or be refused by it (a control character, a tab that is no separator, a
    carriage return outside CRLF, a quote inside a field). One pass of numpy over the bytes."""
    raw = np.frombuffer(body, dtype=np.uint8)
    at = np.flatnonzero(raw < 32)
    control = raw[at]
    newline = control == _NEWLINE
    carriage = control == _RETURN
    layout = newline | carriage | ((control == _TAB) if delimiter == "\t" else False)
    if not layout.all():
        return None
    returns = at[carriage]
    if returns.size and (returns[-1] + 1 >= raw.size or (raw[returns + 1] != _NEWLINE).any()):
        return None
    ends: npt.NDArray[np.intp] = at[newline]
    if b'"' in body and not _quotes_enclose_fields(raw, ends, ord(delimiter)):
        return None
    return ends


def _quotes_enclose_fields(
    raw: npt.NDArray[np.uint8], ends: npt.NDArray[np.intp], sep: int
) -> bool:
    """Every quote opens or closes a whole field on one line, and none is doubled: then the
    csv module and pyarrow read the same cells (as ``parsing._fast_table`` reasons)."""
    quotes = np.flatnonzero(raw == _QUOTE)
    if quotes.size % 2:
        return False
    opens, closes = quotes[0::2], quotes[1::2]
    before = raw[opens - 1]  # the header holds no quote, so no quote is the first byte
    after = raw[np.minimum(closes + 1, raw.size - 1)]
    at_end = closes + 1 >= raw.size
    field_end = (after == sep) | (after == _NEWLINE) | (after == _RETURN) | at_end
    return bool(
        (np.searchsorted(ends, opens) == np.searchsorted(ends, closes)).all()
        and ((before == sep) | (before == _NEWLINE)).all()
        and field_end.all()
    )


def _read(body: bytes, delimiter: str, width: int) -> pa.Table | None:
    columns = [f"c{k}" for k in range(width)]
    try:
        return pa_csv.read_csv(
            pa.py_buffer(body),
            read_options=pa_csv.ReadOptions(column_names=columns, skip_rows=1),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None  # another number of fields on a line, text that is not UTF-8, …


def _coded(array: pa.ChunkedArray | None, n: int) -> Coded:
    """A column as codes into its distinct values, numbered in order of first appearance
    (as :meth:`Coded.of` numbers them); an absent column is n empty strings."""
    if array is None:
        return Coded(np.zeros(n, dtype=np.int32), [""])
    # Arrow encodes a chunked column with one dictionary that grows chunk by chunk: every
    # chunk carries the whole of it, and its indices point into it.
    encoded = pc.dictionary_encode(array).chunks
    dictionary = encoded[-1].dictionary
    if any(len(chunk.dictionary) != len(dictionary) for chunk in encoded):
        encoded = [pc.dictionary_encode(array.combine_chunks())]  # one chunk, to be sure
        dictionary = encoded[0].dictionary
    codes = np.concatenate(
        [chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded]
    ).astype(np.int32, copy=False)
    return Coded(codes, dictionary.to_pylist())


def _rows(coded: Coded) -> list[str]:
    """Every row's value: the distinct strings, each row pointing at its own."""
    values: list[str] = np.array(coded.values, dtype=object)[coded.codes].tolist()
    return values


def _all_pass(coded: Coded, reason: Callable[[str], str | None]) -> bool:
    return all(reason(v) is None for v in coded.values)


def _longest(array: pa.ChunkedArray | None) -> int:
    if array is None or len(array) == 0:
        return 0
    return int(pc.max(pc.utf8_length(array)).as_py())


def _checked(
    digest: str,
    arrays: dict[str, pa.ChunkedArray],
    n: int,
    *,
    decimal_comma: bool,
    known: frozenset[str],
    segments: Mapping[str, tuple[int, int | None]] | None,
    comma_hint: str,
    copy_safe: bool,
) -> ParsedSpending | None:
    coded = {name: _coded(arrays.get(name), n) for name in (*CODED, "description")}
    checks: dict[str, Callable[[str], str | None]] = {
        "booking_date": date_reason,
        "municipality": lambda v: municipality_reason(v, known),
        "district": district_reason,
        "domain": domain_reason,
        "provider": provider_reason,
    }
    if not all(_all_pass(coded[name], check) for name, check in checks.items()):
        return None
    municipality, district = coded["municipality"], coded["district"]
    pairs = np.unique(
        municipality.codes.astype(np.int64) * len(district.values) + district.codes
    ).tolist()
    size = len(district.values)
    if any(
        district_elsewhere(municipality.values[p // size], district.values[p % size], known)
        for p in pairs
    ):
        return None
    for name, limit in MAX_LENGTH.items():
        longest = max(map(len, coded[name].values)) if name in coded else _longest(arrays.get(name))
        if longest > limit:
            return None
    invoices = arrays["invoice_reference"]
    if pc.min(pc.utf8_length(invoices)).as_py() == 0:
        return None
    if pc.count_distinct(invoices).as_py() != n:
        return None
    if any(personal_data.find_in(coded[name].values) for name in FREE_TEXT):
        return None
    dates = coded["booking_date"]
    try:
        detail = _detail(arrays, n, dates, decimal_comma=decimal_comma, segments=segments)
    except _ReferError:
        return None
    dropout = (
        None
        if detail is None
        else np.asarray(detail.coded["stage"].codes) == _code_of(detail.coded["stage"], "dropout")
    )
    amounts = _amounts(
        arrays["amount"], n, dropout, decimal_comma=decimal_comma, comma_hint=comma_hint
    )
    if amounts is None:
        return None

    ordinals = np.array([date.fromisoformat(v).toordinal() for v in dates.values], dtype=np.int32)
    day = ordinals[dates.codes]
    year, month = year_and_month(day)
    return ParsedSpending(
        content_hash=digest,
        lines=np.arange(2, n + 2, dtype=np.int64),
        booked_on=_rows(dates),
        day=day,
        year=year,
        month=month,
        municipality=_rows(municipality),
        district=_rows(district),
        reference=_rows(coded["reference"]),
        domain=_rows(coded["domain"]),
        provider=_rows(coded["provider"]),
        amount_cents=amounts,
        invoice_reference=invoices.to_pylist(),
        description=_rows(coded["description"]),
        copy_safe=copy_safe,
        coded={name: coded[name] for name in CODED},
        detail=detail,
        arrow=arrays,
    )


def _code_of(coded: Coded, value: str) -> int:
    return coded.values.index(value) if value in coded.values else -1


def _given(coded: Coded) -> npt.NDArray[np.bool_]:
    given: npt.NDArray[np.bool_] = coded.codes != _code_of(coded, "")
    return given


def _detail(
    arrays: dict[str, pa.ChunkedArray],
    n: int,
    dates: Coded,
    *,
    decimal_comma: bool,
    segments: Mapping[str, tuple[int, int | None]] | None,
) -> Detail | None:
    """The detail columns when valid (None: no row has any); :class:`_ReferError` on any problem."""
    coded = {name: _coded(arrays.get(name), n) for name in DETAIL_COLUMNS}
    if not any(any(c.values) for c in coded.values()):
        return None
    segment = coded["segment"]
    if segments is not None and any(segment.values):
        years = [v[:4] for v in dates.values]
        pairs = np.unique(
            segment.codes.astype(np.int64) * len(years) + dates.codes.astype(np.int64)
        ).tolist()
        for p in pairs:
            code, year = segment.values[p // len(years)], years[p % len(years)]
            if code and segment_reason(code, year, segments) is not None:
                raise _ReferError
    quantities: dict[str, int | None] = {"": None}
    for value in coded["quantity"].values:
        if value:
            try:
                quantities[value] = parse_quantity(value, decimal_comma=decimal_comma)
            except ValueError:
                raise _ReferError from None
    if not (
        all(not v or PRODUCT.fullmatch(v) for v in coded["product_code"].values)
        and all(not v or v in UNITS for v in coded["unit"].values)
        and all(not v or v in STAGES for v in coded["stage"].values)
        and _assignments_ok(coded["assignment_reference"].values)
    ):
        raise _ReferError
    product, quantity, unit = (_given(coded[k]) for k in ("product_code", "quantity", "unit"))
    stage, assignment = _given(coded["stage"]), _given(coded["assignment_reference"])
    if (
        (quantity & ~product).any()
        or (unit & ~quantity).any()
        or (stage & ~(assignment & product)).any()
    ):
        raise _ReferError
    by_value = np.array([quantities[v] for v in coded["quantity"].values], dtype=object)
    return Detail(
        True,
        _rows(segment),
        _rows(coded["product_code"]),
        by_value[coded["quantity"].codes].tolist(),
        _rows(coded["unit"]),
        _rows(coded["stage"]),
        _rows(coded["assignment_reference"]),
        coded,
    )


def _assignments_ok(values: Sequence[str]) -> bool:
    """Every distinct assignment reference passes; the pattern runs in arrow, and only the
    nine-digit ones (which may be a BSN) go through Python."""
    given = pa.array([v for v in values if v], type=pa.string())
    if len(given) == 0:
        return True
    if not pc.all(pc.match_substring_regex(given, r"^[0-9A-Za-z]{1,20}$")).as_py():
        return False
    nine_digits = pc.filter(given, pc.match_substring_regex(given, r"^[0-9]{9}$"))
    return all(assignment_reason(v) is None for v in nine_digits.to_pylist())


def _amounts(
    amount: pa.ChunkedArray,
    n: int,
    dropout: npt.NDArray[np.bool_] | None,
    *,
    decimal_comma: bool,
    comma_hint: str,
) -> npt.NDArray[np.int64] | None:
    """Cents of every row; None when an amount is refused. The common form (optional minus,
    up to eleven digits, the separator, two decimals) is converted by arrow; every other
    amount by :func:`parse_amounts`, the rule of record."""
    sep = "," if decimal_comma else "."
    fast = pc.match_substring_regex(amount, rf"^-?[0-9]{{1,11}}\{sep}[0-9][0-9]$")
    is_fast = fast.to_numpy(zero_copy_only=False)
    cents = np.zeros(n, dtype=np.int64)
    if is_fast.any():
        digits = pc.replace_substring(pc.filter(amount, fast), sep, "")
        cents[is_fast] = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
    others = np.flatnonzero(~is_fast)
    refused: list[int] = []
    if others.size:
        values = pc.take(amount, pa.array(others)).to_pylist()
        parsed, errors = parse_amounts(values, decimal_comma=decimal_comma, comma_hint=comma_hint)
        cents[others] = parsed
        if any(reason != ZERO_AMOUNT for reason in errors.values()):
            return None
        refused = others[list(errors)].tolist()
    zero = cents == 0
    zero[refused] = True
    if (zero & ~(dropout if dropout is not None else False)).any():
        return None  # zero books nothing, but a dropout may be reported without money
    if (np.abs(cents) > MAX_ROW_CENTS).any():
        return None
    return cents
