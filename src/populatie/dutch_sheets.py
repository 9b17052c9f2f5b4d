"""Exports as Dutch Excel opens them: the default of every CSV and XLSX we write.

A Dutch spreadsheet reads a CSV by its locale: fields separated by ``;``, a decimal comma, and
the encoding guessed unless the file starts with a byte order mark. So a Dutch CSV is UTF-8
with a BOM, ``;``-separated, CRLF line ends, amounts in euro with a decimal comma and no
thousands separator (``1234,56``, so it parses as a number), dates as ``dd-mm-jjjj``.

A Dutch workbook holds real values: amounts as euro numbers with a euro number format (Excel
shows the reader's own separators), dates as date cells, a frozen header row with an
autofilter, and columns wide enough for what they hold.

``lang=en`` (``--lang en``) keeps the English machine format of each export as it was (cents,
``,``-separated); it is written by the export itself, not here. Both go through
:mod:`populatie.spreadsheets`, so a text is never read as a formula in either language.

:data:`HEADERS` is the one place where a column's Dutch header is chosen, :data:`SHEETS` the
one place for sheet names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from populatie.spreadsheets import append_row, csv_cell

__all__ = [
    "BOM",
    "DATE_FORMAT",
    "EURO_FORMAT",
    "HEADERS",
    "LANGS",
    "SHEETS",
    "Column",
    "Lang",
    "csv_text",
    "euro_text",
    "fill_sheet",
]

Lang = Literal["nl", "en"]
LANGS: tuple[Lang, ...] = ("nl", "en")
Kind = Literal["text", "int", "cents", "date", "bool"]

BOM = "\ufeff"
#: Excel's codes are English in the file (``yyyy``); a Dutch Excel shows them as ``jjjj``.
DATE_FORMAT = "DD-MM-YYYY"
EURO_FORMAT = '"€ "#,##0.00;"€ "-#,##0.00'
_MAX_WIDTH = 60

#: Column key (the English name of the machine format, without ``_cents``) → Dutch header.
HEADERS: dict[str, str] = {
    # budgets
    "year": "Jaar",
    "area": "Gebied",
    "area_code": "Gebiedscode",
    "name": "Naam",
    "municipality": "Gemeente",
    "partnership": "Samenwerkingsverband",
    "run_id": "Run",
    "prevention": "Preventie",
    "access": "Toegang en basiszorg",
    "specialist": "Specialistische hulp",
    "total": "Totaal",
    "adopted_at": "Vastgesteld op",
    "adopted_by": "Vastgesteld door",
    # allocation runs
    "status": "Status",
    "young_population": "Jeugdigen",
    "young_population_derived": "Jeugdigen afgeleid",
    "population": "Inwoners",
    "change": "Verschil met vorig jaar",
    "damped": "Gedempt",
    # reconciliation
    "record": "Soort regel",
    "to": "Uitgaven tot en met",
    "contract": "Contract",
    "lot": "Perceel",
    "domain": "Domein",
    "allocated": "Budget",
    "ceiling": "Plafond",
    "spent": "Besteed",
    "forecast": "Prognose",
    "remaining": "Nog te besteden",
    "variance": "Budget min prognose",
    "months_in_force": "Maanden in looptijd",
    "months_elapsed": "Maanden verstreken",
    "kind": "Signalering",
    "subject": "Betreft",
    "amount": "Bedrag",
    "rows": "Regels",
    "detail": "Toelichting",
    # evidence of an exception
    "month": "Maand",
    "file": "Bestand",
    "line": "Regel in bestand",
    "invoice_reference": "Factuurnummer",
    "booked_on": "Boekdatum",
    "reference": "Kenmerk",
    "district": "Wijk",
    "provider": "Aanbieder",
    "month_total": "Maandtotaal",
    "month_rows": "Regels in de maand",
    # a sheet of labels and values
    "label": "Onderwerp",
    "value": "Waarde",
    # KPIs against their norms (go/no-go dossier, council report)
    "segment": "Segment",
    "kpi": "KPI",
    "category": "Productcategorie",
    "period": "Periode",
    "unit": "Eenheid",
    "norm": "Norm",
    "norm_illustrative": "Norm illustratief",
    "outside_norm": "Buiten norm",
    "signals": "Signalen",
    "suppressed": "Niet getoond (klein aantal)",
}

#: The English sheet name of the machine format → the Dutch one.
SHEETS: dict[str, str] = {
    "Budgets": "Budgetten",
    "Reconciliation": "Verantwoording",
    "Exceptions": "Signaleringen",
    "Evidence": "Onderbouwing",
    "About": "Toelichting",
    "Dossier": "Dossier",
    "Years": "Plafond per jaar",
    "Kpis": "KPI's",
    "Runs": "Vastgestelde budgetten",
}

#: A sheet per funding form in the reconciliation workbook: the form → (English, Dutch) name.
FUNDING_FORM_SHEETS: dict[str, tuple[str, str]] = {
    "population-based": ("Population-based", "Populatiegebonden"),
    "task-based": ("Task-based", "Taakgericht"),
    "output-based-trajectory": ("Output per trajectory", "Output per traject"),
    "output-based-month": ("Output per month", "Output per maand"),
    "effort-based": ("Effort-based (PxQ)", "Inspanningsgericht (PxQ)"),
}


@dataclass(frozen=True)
class Column:
    """One column of a Dutch export: its key (see :data:`HEADERS`), how its values are
    written, and optionally Dutch words for coded values (``"prevention"`` → ``Preventie``)."""

    key: str
    kind: Kind = "text"
    words: Mapping[str, str] | None = None

    @property
    def header(self) -> str:
        return HEADERS[self.key]

    def text_of(self, value: Any) -> Any:
        if self.words is not None and isinstance(value, str):
            return self.words.get(value, value)
        return value


def euro_text(cents: int) -> str:
    """``123456`` → ``1234,56``: euro with a decimal comma and no thousands separator."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d}"


def _csv_value(column: Column, value: Any) -> Any:
    if value is None:
        return ""
    if column.kind == "cents":
        return euro_text(int(value))
    if column.kind == "date":
        return _as_date(value).strftime("%d-%m-%Y")
    if column.kind == "bool":
        return "ja" if value else "nee"
    return csv_cell(column.text_of(value))


def csv_text(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> str:
    """The Dutch CSV: BOM, Dutch headers, ``;``, CRLF, euro with a decimal comma."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow(_csv_value(c, v) for c, v in zip(columns, row, strict=True))
    return out.getvalue()


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _cell_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "cents":
        return Decimal(int(value)).scaleb(-2)
    if column.kind == "date":
        return _as_date(value)
    if column.kind == "bool":
        return "ja" if value else "nee"
    return column.text_of(value)


def _shown(column: Column, value: Any) -> str:
    """Roughly what a cell of :func:`_cell_value` shows, to size its column."""
    if value is None:
        return ""
    if column.kind == "cents":
        return f"€ {value:,.2f}"
    if column.kind == "date":
        return "00-00-0000"
    return str(value)


def fill_sheet(
    sheet: Worksheet, columns: Sequence[Column], rows: Iterable[Sequence[Any]]
) -> list[int]:
    """Write a bold, frozen, filterable header and the rows with typed cells; the rows' numbers.

    Every text goes through :func:`populatie.spreadsheets.append_row` (a string cell, never a
    formula); amounts become euro numbers and dates date cells, each with its format.
    """
    append_row(sheet, [c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(c.header) for c in columns]
    numbers = []
    for row in rows:
        values = [_cell_value(c, v) for c, v in zip(columns, row, strict=True)]
        number = append_row(sheet, values)
        numbers.append(number)
        for i, (column, value) in enumerate(zip(columns, row, strict=True)):
            if column.kind == "cents":
                sheet.cell(number, i + 1).number_format = EURO_FORMAT
            elif column.kind == "date" and value is not None:
                sheet.cell(number, i + 1).number_format = DATE_FORMAT
            longest = max((len(p) for p in _shown(column, values[i]).splitlines()), default=0)
            widths[i] = max(widths[i], longest)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 3, _MAX_WIDTH)
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{max(sheet.max_row, 1)}"
    sheet.freeze_panes = "A2"
    return numbers
