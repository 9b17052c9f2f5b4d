"""How the command line reports a rejected import: the first errors as a table on stderr, and
every error, if asked, in a CSV file.

The spending import and the KPI figures import reject a file the same way (every problem as
*line, column, value, reason*, nothing written), so their commands report it the same way too.
The CSV goes through :func:`populatie.spreadsheets.csv_record`: the values come from the
rejected file and must not run as formulas when the list is opened in a spreadsheet.
"""

from __future__ import annotations

import csv
from pathlib import Path

from rich.console import Console
from rich.table import Table

from populatie.errors import PopulatieError
from populatie.spreadsheets import csv_record

__all__ = ["SHOWN_ERRORS", "show_import_errors"]

#: How many errors the table shows; the CSV file holds them all.
SHOWN_ERRORS = 100
FIELDS = ("line", "column", "value", "reason")


def show_import_errors(exc: PopulatieError, errors_file: Path | None, console: Console) -> None:
    """Print the first of ``exc.details`` to ``console``; write all of them to ``errors_file``
    when given, or say how many more there are and how to get them."""
    table = Table(title="Errors (nothing was imported)", title_justify="left")
    for name in FIELDS:
        table.add_column(name, overflow="fold")
    for error in exc.details[:SHOWN_ERRORS]:
        table.add_row(
            str(error["line"]), str(error["column"]), str(error["value"])[:60], str(error["reason"])
        )
    console.print(table)
    if errors_file is not None:
        with errors_file.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(csv_record(e) for e in exc.details)
        console.print(f"all {len(exc.details)} errors written to {errors_file}")
    elif len(exc.details) > SHOWN_ERRORS:
        console.print(
            f"… and {len(exc.details) - SHOWN_ERRORS} more: add --errors FILE to get all "
            f"{len(exc.details)}"
        )
