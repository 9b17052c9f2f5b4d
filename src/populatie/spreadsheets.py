"""Cells for files that end up in a spreadsheet: text is written as text, never as a formula.

Provider names, invoice references, file names and descriptions come from imported files, and
a spreadsheet program runs a cell such as ``=HYPERLINK("https://…","click")`` as a formula.
Every export writer therefore goes through this module:

* **CSV**: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  gets a single quote in front (the OWASP guidance on CSV injection), so a spreadsheet shows it
  as text; numbers stay numbers (``-250`` in an amount column is an amount, not a formula).
* **XLSX**: every text cell is an explicit string cell (openpyxl otherwise stores a text that
  starts with ``=`` as a formula), and characters a workbook cannot hold (C0 controls other
  than tab and line breaks) are written as ``\\xNN`` rather than failing the whole export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["FORMULA_TRIGGERS", "append_row", "csv_cell", "csv_record", "csv_row"]

#: The first characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_cell(value: Any) -> Any:
    """A text starting with a formula trigger, quoted away; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def csv_record(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: csv_cell(v) for k, v in record.items()}


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str) and _ILLEGAL.search(value):
        return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def append_row(sheet: Worksheet, values: Iterable[Any]) -> int:
    """Append a row with every text as a string cell; the row's number."""
    row = [_xlsx_value(v) for v in values]
    sheet.append(row)
    number = sheet.max_row
    for index, value in enumerate(row, start=1):
        if isinstance(value, str):
            sheet.cell(number, index).data_type = "s"
    return number
