"""Read and validate an aggregated-figures file (CSV or XLSX), whole, without a database.

The format: a header row, then one figure per row (UTF-8 CSV, ``,`` or ``;`` separated, or the
first sheet of a workbook)::

    period,partnership,provider,segment,municipality,area,kpi,category,numerator,denominator,value
    2026-03,RondomJou,,B,GM0518,GM0518-L2,dropout,,14,160,
    2026-Q1,,Stichting Jeugdformaat,B,GM0518,,product_mix,45,120,300,

``period`` is a month (``2026-03``) or a quarter (``2026-Q1``); a row names a partnership, a
provider, or an area (whose partnership it then takes). Which of ``numerator``,
``denominator`` and ``value`` a row needs follows from its KPI's measure (see
:mod:`populatie.kpis.register`). Only counts and sums are taken: a column whose header
announces personal data rejects the file, and so does a text holding a BSN, an e-mail address,
a phone number or a full date (:mod:`populatie.spending.personal_data`). Every problem is
reported as *line, column, value, reason*; a file with any problem is refused whole.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from populatie.kpis.register import Register
from populatie.spending import personal_data
from populatie.spending.parsing import RowError

__all__ = [
    "COLUMNS",
    "FigureFileError",
    "FigureRow",
    "Known",
    "parse_figures",
    "parse_period",
    "read_table",
]

COLUMNS = (
    "period",
    "partnership",
    "provider",
    "segment",
    "municipality",
    "area",
    "kpi",
    "category",
    "numerator",
    "denominator",
    "value",
)
REQUIRED_COLUMNS = ("period", "segment", "kpi")
MAX_COUNT = 10**12  # a count or a sum in cents beyond this is a typing error, not a figure
_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")
_MUNICIPALITY = re.compile(r"^GM\d{4}$")
_CATEGORY = re.compile(r"^\d{2}$")
_INTEGER = re.compile(r"^\d+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_COLUMNS = ("partnership", "provider", "area", "municipality", "segment", "kpi")
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Known:
    """What a row may name: the configured and registered codes."""

    register: Register
    segments: frozenset[str]
    partnerships: frozenset[str]
    municipalities: frozenset[str]
    areas: Mapping[str, tuple[str, str | None]]  # area code → (municipality, partnership)


@dataclass(frozen=True)
class FigureRow:
    line: int
    kpi_code: str
    period: str
    year: int
    start_month: int
    months: int
    partnership_name: str
    provider: str
    segment_code: str
    municipality_code: str
    area_code: str
    category: str
    numerator: int | None
    denominator: int | None
    value_milli: int | None

    def key(self) -> tuple[str, ...]:
        return (
            self.kpi_code,
            self.period,
            self.partnership_name,
            self.provider,
            self.segment_code,
            self.municipality_code,
            self.area_code,
            self.category,
        )


class FigureFileError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_period(text: str) -> tuple[int, int, int] | None:
    """``2026-03`` → (2026, 3, 1); ``2026-Q2`` → (2026, 4, 3): year, first month, months."""
    match = _PERIOD.match(text)
    if match is None:
        return None
    year = int(match.group(1))
    if not 2000 <= year <= 2099:
        return None
    if match.group(2):
        return year, int(match.group(2)), 1
    return year, 3 * int(match.group(3)) - 2, 3


def _cell(value: Any) -> str:
    """A workbook cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
        return str(int(number)) if number == number.to_integral_value() else str(number)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def read_table(data: bytes, file_name: str) -> list[tuple[int, list[str]]]:
    """The file's rows as ``(line, cells)``, the header first; XLSX by its content, else CSV."""
    if data.startswith(XLSX_MAGIC) or file_name.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FigureFileError(
            [RowError(1, "", "", f"the file is not UTF-8 text nor a workbook: {exc.reason}")]
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise FigureFileError(
            [RowError(reader.line_num, "", "", f"not valid CSV: {exc}")]
        ) from None
    return rows


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is no workbook
        raise FigureFileError(
            [RowError(1, "", "", f"the file is not a readable workbook: {type(exc).__name__}")]
        ) from None
    try:
        sheet = book.worksheets[0]
        return [
            (number, [_cell(v) for v in row])
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()


def parse_figures(data: bytes, file_name: str, known: Known) -> list[FigureRow]:
    """Every figure of the file, or :class:`FigureFileError` with every problem."""
    table = [
        (line, cells)
        for line, cells in read_table(data, file_name)
        if any(c.strip() for c in cells)
    ]
    if not table:
        raise FigureFileError([RowError(1, "", "", "the file is empty: no header row")])
    header_line, header = table[0]
    names = [h.strip().lower() for h in header]
    errors: list[RowError] = []
    for name in names:
        meaning = personal_data.column_kind(name)
        if meaning is not None:
            errors.append(
                RowError(header_line, name, name, f"this column would hold {meaning}: refused")
            )
        elif name not in COLUMNS:
            errors.append(
                RowError(
                    header_line, name, name, f"unknown column; columns are {', '.join(COLUMNS)}"
                )
            )
    for name in REQUIRED_COLUMNS:
        if name not in names:
            errors.append(RowError(header_line, name, "", "required column is missing"))
    if len(set(names)) != len(names):
        errors.append(RowError(header_line, "", ",".join(names), "a column appears twice"))
    if errors:
        raise FigureFileError(errors)
    body = table[1:]
    if not body:
        raise FigureFileError([RowError(header_line, "", "", "the file holds no figures")])
    records = [
        (line, {n: (cells[i].strip() if i < len(cells) else "") for i, n in enumerate(names)})
        for line, cells in body
    ]
    for line, cells in body:
        if len(cells) > len(names):
            errors.append(
                RowError(line, "", str(len(cells)), f"{len(cells)} cells for {len(names)} columns")
            )
    errors += _personal_data(records)
    rows: list[FigureRow] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, record in records:
        row = _row(line, record, known, errors)
        if row is None:
            continue
        earlier = seen.setdefault(row.key(), line)
        if earlier != line:
            errors.append(RowError(line, "kpi", row.kpi_code, f"the same figure as line {earlier}"))
            continue
        rows.append(row)
    if errors:
        raise FigureFileError(sorted(errors, key=_order))
    return rows


def _order(error: RowError) -> tuple[int, int]:
    position = COLUMNS.index(error.column) if error.column in COLUMNS else len(COLUMNS)
    return (error.line, position)


def _personal_data(records: Sequence[tuple[int, dict[str, str]]]) -> list[RowError]:
    found: list[RowError] = []
    for column in _TEXT_COLUMNS:
        values = [record.get(column, "") for _, record in records]
        for index, findings in personal_data.find_in(values).items():
            kinds = sorted({f.kind for f in findings})
            found.append(
                RowError(
                    records[index][0],
                    column,
                    personal_data.mask(values[index], findings),
                    "personal data is not accepted: holds "
                    + " and ".join(personal_data.KINDS[k] for k in kinds),
                )
            )
    return found


def _row(line: int, r: dict[str, str], known: Known, errors: list[RowError]) -> FigureRow | None:
    before = len(errors)

    def bad(column: str, reason: str) -> None:
        errors.append(RowError(line, column, r.get(column, ""), reason))

    for column, value in r.items():
        if _CONTROL.search(value):
            bad(column, "holds a control character")
    if len(errors) > before:
        return None
    period = parse_period(r.get("period", ""))
    if period is None:
        bad("period", "not a month (2026-03) or a quarter (2026-Q1) between 2000 and 2099")
    kpi = known.register.get(r.get("kpi", ""))
    if kpi is None:
        bad("kpi", "no KPI of the register (config/kpis.toml)")
    segment = r.get("segment", "")
    if segment not in known.segments:
        bad("segment", "no configured segment (config/segments.toml)")
    elif kpi is not None and segment not in kpi.segments:
        bad("segment", f"the KPI {kpi.code} does not apply to this segment")
    municipality = r.get("municipality", "")
    if municipality and (
        not _MUNICIPALITY.match(municipality) or municipality not in known.municipalities
    ):
        bad("municipality", "no municipality of record (GMnnnn)")
    partnership = r.get("partnership", "")
    if partnership and partnership not in known.partnerships:
        bad("partnership", "no partnership of record")
    area = r.get("area", "")
    if area:
        if area not in known.areas:
            bad("area", "no area of record")
        else:
            area_municipality, area_partnership = known.areas[area]
            if municipality and municipality != area_municipality:
                bad("area", f"the area lies in {area_municipality}, not in {municipality}")
            if partnership and area_partnership != partnership:
                bad("area", "the area is not served by that partnership")
            partnership = partnership or (area_partnership or "")
            municipality = municipality or area_municipality
    provider = r.get("provider", "")
    if len(provider) > 200:
        bad("provider", "longer than 200 characters")
    if not (partnership or provider):
        bad("partnership", "a figure names a partnership, a provider or an area")
    category = r.get("category", "")
    if kpi is not None:
        if kpi.by_category and not _CATEGORY.match(category):
            bad("category", f"the KPI {kpi.code} needs a two-digit iJw product category")
        elif not kpi.by_category and category:
            bad("category", f"the KPI {kpi.code} has no product category")
    numerator = _count(r, "numerator", bad)
    denominator = _count(r, "denominator", bad)
    value_milli = _milli(r, bad)
    if kpi is not None and len(errors) == before:
        _check_measure(kpi.measure, kpi.scale, numerator, denominator, value_milli, r, bad)
    if len(errors) > before or period is None or kpi is None:
        return None
    year, start_month, months = period
    return FigureRow(
        line=line,
        kpi_code=kpi.code,
        period=r["period"],
        year=year,
        start_month=start_month,
        months=months,
        partnership_name=partnership,
        provider=provider,
        segment_code=segment,
        municipality_code=municipality,
        area_code=area,
        category=category,
        numerator=numerator,
        denominator=denominator,
        value_milli=value_milli,
    )


def _count(r: dict[str, str], column: str, bad: Any) -> int | None:
    text = r.get(column, "")
    if not text:
        return None
    if not _INTEGER.match(text):
        bad(column, "not a whole number of zero or more (a count, or a sum in cents)")
        return None
    number = int(text)
    if number > MAX_COUNT:
        bad(column, f"larger than {MAX_COUNT:,}")
        return None
    return number


def _milli(r: dict[str, str], bad: Any) -> int | None:
    text = r.get("value", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        bad("value", "not a number (write 12.5)")
        return None
    if not number.is_finite() or number < 0 or number > MAX_COUNT:
        bad("value", "not a number of zero or more")
        return None
    milli = number * 1000
    if milli != milli.to_integral_value():
        bad("value", "more than three decimals")
        return None
    return int(milli)


def _check_measure(
    measure: str,
    scale: Decimal,
    numerator: int | None,
    denominator: int | None,
    value_milli: int | None,
    r: dict[str, str],
    bad: Any,
) -> None:
    """The columns the KPI's measure needs, and none it does not."""
    needs = {
        "rate": ("numerator", "denominator"),
        "count": ("numerator",),
        "mean": ("numerator", "denominator"),
        "median": ("value", "denominator"),
    }[measure]
    given = {"numerator": numerator, "denominator": denominator, "value": value_milli}
    for column, number in given.items():
        if column in needs and number is None:
            bad(column, f"a {measure} KPI needs a {column}")
        elif column not in needs and r.get(column, ""):
            bad(column, f"a {measure} KPI has no {column}")
    if denominator == 0 and "denominator" in needs:
        bad("denominator", "zero: no figure can be computed over nothing")
    if (
        measure == "rate"
        and scale == 100
        and numerator is not None
        and denominator is not None
        and numerator > denominator
    ):
        bad("numerator", f"a share of more than the whole ({numerator} of {denominator})")
