"""The reconciliation as Dutch Excel opens it: the default CSV and workbook.

The same records as the English machine format of :mod:`populatie.reconciliation.render`
(lines, exceptions with their evidence, what the figures mean), in Dutch headers, sheet names
and words, with euro amounts and dates as :mod:`populatie.dutch_sheets` writes them. An
exception's subject and finding are the Dutch sentences the finance page shows.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from populatie.core.reconciliation import (
    EXCEPTION_KINDS,
    Reconciliation,
    ReconciliationException,
)
from populatie.dutch_sheets import (
    DATE_FORMAT,
    FUNDING_FORM_SHEETS,
    SHEETS,
    Column,
    csv_text,
    fill_sheet,
)

__all__ = ["render_csv_nl", "write_xlsx_nl"]

RECORD_WORDS = {"line": "regel", "exception": "signalering"}
_METHOD = (
    "het gemiddelde per maand tot nu toe maal de maanden dat het contract loopt "
    "(run-rate, zonder seizoenscorrectie)"
)


def _words() -> tuple[Mapping[str, str], Mapping[str, str], Mapping[str, str]]:
    """The pages' Dutch words for domains, statuses and exception kinds: one wording for the
    pages and the files. Imported here, not at the top: the pages' package loads the whole
    web application, which the command line does not need."""
    from populatie.web.formatting import DOMAIN_LABELS, EXCEPTION_LABELS, STATUS_LABELS

    return DOMAIN_LABELS, STATUS_LABELS, EXCEPTION_LABELS


def _line_columns() -> tuple[Column, ...]:
    domains, statuses, _ = _words()
    return (
        Column("contract"), Column("lot"), Column("area"), Column("municipality"),
        Column("partnership"), Column("domain", words=domains), Column("allocated", "cents"),
        Column("ceiling", "cents"), Column("spent", "cents"), Column("forecast", "cents"),
        Column("remaining", "cents"), Column("variance", "cents"),
        Column("status", words=statuses), Column("months_in_force", "int"),
        Column("months_elapsed", "int"),
    )  # fmt: skip


def _last_day(result: Reconciliation) -> date:
    return date(
        result.year,
        result.to_month,
        calendar.monthrange(result.year, result.to_month)[1],
    )


def _said(exc: ReconciliationException) -> tuple[str, str]:
    from populatie.web.exception_text import dutch_detail, dutch_subject

    return dutch_subject(exc), dutch_detail(exc)[0]


def render_csv_nl(result: Reconciliation) -> str:
    """One table, as the English CSV: a ``regel`` per line, then a ``signalering`` per
    exception, with the year and the last day of spending on every record."""
    _, _, kinds = _words()
    lines = _line_columns()
    columns = (
        Column("record", words=RECORD_WORDS), Column("year", "int"), Column("to", "date"),
        *lines, Column("kind", words=kinds), Column("subject"), Column("amount", "cents"),
        Column("rows", "int"), Column("detail"),
    )  # fmt: skip
    to = _last_day(result)
    blank_exception = [None] * 5

    def rows() -> Iterator[list[Any]]:
        for line in result.lines:
            yield ["line", result.year, to, *_line_values(line), *blank_exception]
        for exc in result.exceptions:
            subject, detail = _said(exc)
            yield [
                "exception", result.year, to, *([None] * len(lines)),
                exc.kind, subject, exc.amount_cents, exc.rows or None, detail,
            ]  # fmt: skip

    return csv_text(columns, rows())


def _line_values(line: Any) -> list[Any]:
    return [
        line.contract, line.lot, line.area, line.municipality, line.partnership, line.domain,
        line.allocated_cents, line.ceiling_cents, line.spent_cents, line.forecast_cents,
        line.remaining_cents, line.variance_cents, line.status, line.months_in_force,
        line.months_elapsed,
    ]  # fmt: skip


def _evidence_columns() -> tuple[Column, ...]:
    domains, _, _ = _words()
    return (
        Column("kind"), Column("subject"), Column("month"), Column("file"), Column("line", "int"),
        Column("invoice_reference"), Column("booked_on", "date"), Column("amount", "cents"),
        Column("reference"), Column("district"), Column("domain", words=domains),
        Column("provider"), Column("month_total", "cents"), Column("month_rows", "int"),
    )  # fmt: skip


def _month_words(value: object) -> object:
    """``2025-03`` as ``maart 2025``; anything else as it is."""
    from populatie.web.formatting import MONTHS

    text = str(value)
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        month = int(text[5:])
        if 1 <= month <= 12:
            return f"{MONTHS[month - 1]} {text[:4]}"
    return value


def _evidence_row(
    columns: Sequence[Column], kind: str, subject: str, e: Mapping[str, object]
) -> list[Any]:
    values: dict[str, Any] = {k.removesuffix("_cents"): v for k, v in e.items()}
    booked = values.get("booked_on")
    if isinstance(booked, str) and booked:
        values["booked_on"] = date.fromisoformat(booked)
    if values.get("month") is not None:
        values["month"] = _month_words(values["month"])
    row: list[Any] = []
    for column in columns[2:]:
        value = values.get(column.key)
        if column.kind in ("int", "cents") and not isinstance(value, int):
            value = None
        row.append(value)
    return [kind, subject, *row]


def write_xlsx_nl(result: Reconciliation, path: Path) -> None:
    """Sheets: Verantwoording (the lines), Signaleringen, Onderbouwing (evidence), Toelichting,
    then one per funding form with its contracts' lines."""
    domains, _, kinds = _words()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEETS["Reconciliation"]
    numbers = fill_sheet(sheet, _line_columns(), (_line_values(line) for line in result.lines))
    for number, line in zip(numbers, result.lines, strict=True):
        if line.domain == "total":
            for cell in sheet[number]:
                cell.font = Font(bold=True)

    said = [(exc, *_said(exc)) for exc in result.exceptions]
    exception_columns = (
        Column("kind", words=kinds), Column("subject"), Column("amount", "cents"),
        Column("rows", "int"), Column("detail"),
    )  # fmt: skip
    fill_sheet(
        book.create_sheet(SHEETS["Exceptions"]),
        exception_columns,
        (
            [exc.kind, subject, exc.amount_cents, exc.rows or None, detail]
            for exc, subject, detail in said
        ),
    )
    evidence_columns = _evidence_columns()
    fill_sheet(
        book.create_sheet(SHEETS["Evidence"]),
        evidence_columns,
        (
            _evidence_row(evidence_columns, kinds.get(exc.kind, exc.kind), subject, e)
            for exc, subject, _ in said
            for e in exc.evidence
        ),
    )
    from populatie.web.exception_text import dutch_notes

    counts = dict.fromkeys(EXCEPTION_KINDS, 0)
    for exc in result.exceptions:
        counts[exc.kind] += 1
    about = book.create_sheet(SHEETS["About"])
    fill_sheet(
        about,
        (Column("label"), Column("value")),
        [
            ["Jaar", result.year],
            ["Uitgaven tot en met", _last_day(result)],
            ["Prognose", _METHOD],
            ["Nog te besteden", "budget min besteed tot nu toe"],
            ["Budget min prognose", "negatief: de prognose ligt boven het budget"],
            ["Domeinen", ", ".join(v for k, v in domains.items() if k != "total")],
            *([f"Signaleringen: {kinds.get(k, k)}", n] for k, n in counts.items()),
            *(["Opmerking", note] for note in dutch_notes(result)),
        ],
    )
    about["B3"].number_format = DATE_FORMAT  # the "Uitgaven tot en met" row
    # a sheet per funding form with the lines of its contracts, after the four above
    for form, (_, name) in FUNDING_FORM_SHEETS.items():
        lines = [line for line in result.lines if line.funding_form == form]
        if lines:
            fill_sheet(book.create_sheet(name), _line_columns(), (_line_values(x) for x in lines))
    book.save(path)
