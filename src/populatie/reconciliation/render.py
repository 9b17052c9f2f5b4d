"""A reconciliation as a terminal table, JSON, CSV or an Excel workbook.

Amounts stay integer cents in JSON and CSV (``*_cents``); the table shows euro in Dutch
notation; the workbook holds euro as exact decimals with a euro number format.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from rich.console import Console
from rich.table import Table

from populatie.core.money import format_euro
from populatie.core.reconciliation import EXCEPTION_KINDS, Reconciliation
from populatie.dutch_sheets import FUNDING_FORM_SHEETS
from populatie.reconciliation.service import report_json
from populatie.spreadsheets import append_row, csv_record

__all__ = ["render_csv", "render_json", "render_table", "write_xlsx"]

LINE_FIELDS = (
    "contract",
    "lot",
    "area",
    "municipality",
    "partnership",
    "domain",
    "allocated_cents",
    "ceiling_cents",
    "spent_cents",
    "forecast_cents",
    "remaining_cents",
    "variance_cents",
    "status",
    "months_in_force",
    "months_elapsed",
)
EXCEPTION_FIELDS = ("kind", "description", "subject", "amount_cents", "rows", "detail")


def _euro(cents: int | None) -> str:
    return "—" if cents is None else format_euro(cents)


_STATUS_STYLE = {
    "on track": "green",
    "over ceiling": "bold red",
    "forecast over ceiling": "red",
    "over allocation": "bold yellow",
    "forecast over allocation": "yellow",
    "no allocation": "magenta",
}


def render_table(result: Reconciliation, console: Console) -> None:
    to = f"{result.year}-{result.to_month:02d}"
    table = Table(
        title=(
            f"Reconciliation {result.year}, spending to {to} (forecast: {result.forecast_method})"
        ),
        title_justify="left",
    )
    for name in ("contract", "lot", "area", "domain"):
        table.add_column(name)
    for name in ("allocated", "ceiling", "spent to date", "forecast", "remaining", "variance"):
        table.add_column(name, justify="right")
    table.add_column("status")
    for line in result.lines:
        total = line.domain == "total"
        style = "bold" if total else ""
        table.add_row(
            line.contract or "(no contract)",
            line.lot or "—",
            line.area or f"({line.municipality})",
            line.domain,
            _euro(line.allocated_cents),
            _euro(line.ceiling_cents),
            _euro(line.spent_cents),
            _euro(line.forecast_cents),
            _euro(line.remaining_cents),
            _euro(line.variance_cents),
            f"[{_STATUS_STYLE.get(line.status, '')}]{line.status}[/]",
            style=style,
            end_section=total,
        )
    console.print(table)
    console.print(
        "remaining = allocated − spent to date; variance = allocated − forecast "
        "(negative: forecast above the allocation)",
        highlight=False,
    )
    counts = dict.fromkeys(EXCEPTION_KINDS, 0)
    for exc in result.exceptions:
        counts[exc.kind] += 1
    exceptions = Table(title=f"Exceptions ({len(result.exceptions)})", title_justify="left")
    for name in ("kind", "subject", "amount", "rows", "detail and evidence"):
        exceptions.add_column(
            name, overflow="fold", justify="right" if name == "amount" else "left"
        )
    for exc in result.exceptions:
        evidence = [_evidence_text(e) for e in exc.evidence]
        exceptions.add_row(
            exc.kind,
            exc.subject,
            _euro(exc.amount_cents),
            str(exc.rows) if exc.rows else "",
            "\n".join([exc.detail, *evidence]),
        )
    console.print(exceptions)
    console.print(
        "per kind: " + ", ".join(f"{kind} {n}" for kind, n in counts.items()), highlight=False
    )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)


def _evidence_text(e: Mapping[str, object]) -> str:
    """A booked row by its file and line; an instalment of a schedule (no row of its own) by
    its month, what was due and what was paid."""
    if "due_cents" in e:
        return (
            f"  {e.get('month', '')}: due {_euro(int(str(e['due_cents'])))}, "
            f"paid {_euro(int(str(e.get('paid_cents', 0))))}"
        )
    return (
        f"  {e.get('file', '')} line {e.get('line', '?')}: {e.get('invoice_reference', '')} "
        f"{e.get('booked_on', '')} {_euro(int(str(e.get('amount_cents', 0))))}"
    )


def render_json(result: Reconciliation) -> str:
    return json.dumps(report_json(result), indent=2, ensure_ascii=False)


def render_csv(result: Reconciliation) -> str:
    """One table: ``record`` is ``line`` or ``exception``; the other columns as in JSON."""
    data = report_json(result)
    out = io.StringIO()
    fields = ["record", "year", "to", *LINE_FIELDS, *EXCEPTION_FIELDS[:1], *EXCEPTION_FIELDS[2:]]
    fields = list(dict.fromkeys(fields))
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for line in data["lines"]:
        writer.writerow(
            csv_record({"record": "line", "year": data["year"], "to": data["to"], **line})
        )
    for exc in data["exceptions"]:
        writer.writerow(
            csv_record({"record": "exception", "year": data["year"], "to": data["to"], **exc})
        )
    return out.getvalue()


def _eur(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


def write_xlsx(result: Reconciliation, path: Path) -> None:
    """Sheets: Reconciliation (the lines), Exceptions, Evidence, About, then one per funding
    form with its contracts' lines (a reader of one form need not filter)."""
    data = report_json(result)
    book = Workbook()
    money = '"€" #,##0.00;"€" -#,##0.00'
    sheet = book.active
    assert sheet is not None
    sheet.title = "Reconciliation"
    headers = [f.removesuffix("_cents") for f in LINE_FIELDS]
    append_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in data["lines"]:
        append_row(sheet, [_eur(line[f]) if f.endswith("_cents") else line[f] for f in LINE_FIELDS])
        if line["domain"] == "total":
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    for col_idx, field in enumerate(LINE_FIELDS, start=1):
        if field.endswith("_cents"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=col_idx, max_col=col_idx):
                cell.number_format = money
    sheet.freeze_panes = "A2"

    exc_sheet = book.create_sheet("Exceptions")
    append_row(exc_sheet, ["kind", "description", "subject", "amount", "rows", "detail"])
    evidence_sheet = book.create_sheet("Evidence")
    evidence_keys = [
        "kind",
        "subject",
        "month",
        "file",
        "line",
        "invoice_reference",
        "booked_on",
        "amount",
        "reference",
        "district",
        "domain",
        "provider",
        "month_total",
        "month_rows",
    ]
    append_row(evidence_sheet, evidence_keys)
    for exc in data["exceptions"]:
        append_row(
            exc_sheet,
            [
                exc["kind"],
                exc["description"],
                exc["subject"],
                _eur(exc["amount_cents"]),
                exc["rows"],
                exc["detail"],
            ],
        )
        exc_sheet.cell(exc_sheet.max_row, 4).number_format = money
        for e in exc["evidence"]:
            row = {
                "kind": exc["kind"],
                "subject": exc["subject"],
                **{k.removesuffix("_cents"): v for k, v in e.items()},
            }
            for key in ("amount", "month_total"):
                if isinstance(row.get(key), int):
                    row[key] = _eur(row[key])
            append_row(evidence_sheet, [row.get(k) for k in evidence_keys])
            for key in ("amount", "month_total"):
                evidence_sheet.cell(
                    evidence_sheet.max_row, evidence_keys.index(key) + 1
                ).number_format = money
    for ws in (exc_sheet, evidence_sheet):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    about = book.create_sheet("About")
    append_row(about, ["year", data["year"]])
    append_row(about, ["spending to", data["to"]])
    append_row(about, ["forecast method", data["forecast_method"]])
    append_row(about, ["remaining", "allocated − spent to date"])
    append_row(about, ["variance", "allocated − forecast"])
    for kind, n in data["exception_counts"].items():
        append_row(about, [f"exceptions: {kind}", n])
    for note in data["notes"]:
        append_row(about, ["note", note])
    # a sheet per funding form with the lines of its contracts, after the four above
    for form, (name, _) in FUNDING_FORM_SHEETS.items():
        lines = [line for line in data["lines"] if line["funding_form"] == form]
        if not lines:
            continue
        form_sheet = book.create_sheet(name)
        append_row(form_sheet, headers)
        for cell in form_sheet[1]:
            cell.font = Font(bold=True)
        for line in lines:
            append_row(
                form_sheet,
                [_eur(line[f]) if f.endswith("_cents") else line[f] for f in LINE_FIELDS],
            )
        form_sheet.freeze_panes = "A2"
    book.save(path)
