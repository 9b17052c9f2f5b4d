"""The council report in Dutch, from its snapshot alone: HTML printed to PDF, and a workbook.

Nothing here reads the database or the clock: the snapshot and the report's own id, hash and
creation time are all a file is made of, so the same report always gives the same bytes. That
holds for reports made before the snapshot named the run's author in words, too: they print
the author as it was stored, and their workbook has no row for it, as it had none.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment
from openpyxl import Workbook

from populatie.documents import fixed_xlsx, inline_styles, print_pdf, template_env
from populatie.dutch_sheets import SHEETS, Column, fill_sheet

__all__ = ["report_html", "report_pdf", "report_xlsx"]

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _env() -> Environment:
    """Made on first use: the pages' words it needs load the web application, which the
    command line's other commands do not need."""
    return template_env(TEMPLATES)


DOMAINS = ("prevention", "access", "specialist")


def _period(snapshot: dict[str, Any]) -> str:
    from populatie.web.formatting import MONTHS

    return f"januari t/m {MONTHS[snapshot['to_month'] - 1]} {snapshot['year']}"


def _author(run: dict[str, Any]) -> str:
    """The run's author in words; a snapshot of format 1 only knows the audit log's name."""
    return str(run.get("adopted_by_name", run["adopted_by"]))


def report_html(snapshot: dict[str, Any], meta: dict[str, Any]) -> str:
    return (
        _env()
        .get_template("council_report.html")
        .render(
            s=snapshot,
            meta=meta,
            period=_period(snapshot),
            author=_author(snapshot["run"]) if snapshot["run"] else None,
            created=meta["created_at"].strftime("%d-%m-%Y %H:%M"),
            domains=DOMAINS,
            styles=inline_styles(),
        )
    )


def report_pdf(snapshot: dict[str, Any], meta: dict[str, Any]) -> bytes:
    created: datetime = meta["created_at"]
    return print_pdf(report_html(snapshot, meta), created)


def report_xlsx(snapshot: dict[str, Any], meta: dict[str, Any]) -> bytes:
    """Sheets: Toelichting, Vastgestelde budgetten, Verantwoording, Signaleringen, KPI's."""
    from populatie.web.formatting import DOMAIN_LABELS, EXCEPTION_LABELS, STATUS_LABELS

    book = Workbook()
    about = book.active
    assert about is not None
    about.title = SHEETS["About"]
    run = snapshot["run"]
    # a report made before the name was frozen gets no row: its workbook stays as it was
    author = (
        [["Vastgesteld door", run["adopted_by_name"]]] if run and "adopted_by_name" in run else []
    )
    fill_sheet(
        about,
        (Column("label"), Column("value")),
        [
            [
                "Raadsrapportage",
                f"{snapshot['municipality']['name']} ({snapshot['municipality']['code']})",
            ],
            ["Periode", _period(snapshot)],
            ["Rapport", meta["id"]],
            ["Vastgelegd op (UTC)", meta["created_at"].strftime("%d-%m-%Y %H:%M")],
            ["Inhoudshash (SHA-256)", meta["content_hash"]],
            ["Vastgestelde run", run["run_id"] if run else "geen vastgestelde verdeling"],
            *author,
            ["Prognose", snapshot["reconciliation"]["forecast_method"]],
            [
                "Kleine aantallen",
                f"aantallen onder de {snapshot['suppressed_below']} niet getoond (x)",
            ],
            ["Normen", "normen met illustratief = ja zijn niet gepubliceerd"],
        ],
    )
    fill_sheet(
        book.create_sheet(SHEETS["Runs"]),
        (
            Column("area_code"),
            Column("name"),
            Column("partnership"),
            *(Column(d, "cents") for d in DOMAINS),
            Column("total", "cents"),
        ),
        [
            [
                a["area"],
                a["name"],
                a["partnership"],
                *(a["amounts_cents"].get(d) for d in DOMAINS),
                a["total_cents"],
            ]
            for a in (run["areas"] if run else [])
        ],
    )
    fill_sheet(
        book.create_sheet(SHEETS["Reconciliation"]),
        (
            Column("contract"),
            Column("lot"),
            Column("area"),
            Column("partnership"),
            Column("domain", words=DOMAIN_LABELS),
            Column("allocated", "cents"),
            Column("ceiling", "cents"),
            Column("spent", "cents"),
            Column("forecast", "cents"),
            Column("remaining", "cents"),
            Column("status", words=STATUS_LABELS),
        ),
        [
            [
                x["contract"],
                x["lot"],
                x["area"],
                x["partnership"],
                x["domain"],
                x["allocated_cents"],
                x["ceiling_cents"],
                x["spent_cents"],
                x["forecast_cents"],
                x["remaining_cents"],
                x["status"],
            ]
            for x in snapshot["reconciliation"]["lines"]
        ],
    )
    fill_sheet(
        book.create_sheet(SHEETS["Exceptions"]),
        (
            Column("kind", words=EXCEPTION_LABELS),
            Column("subject"),
            Column("amount", "cents"),
            Column("rows", "int"),
            Column("detail"),
        ),
        [
            [e["kind"], e["subject_nl"], e["amount_cents"], e["rows"] or None, e["detail_nl"]]
            for e in snapshot["reconciliation"]["exceptions"]
        ],
    )
    fill_sheet(
        book.create_sheet(SHEETS["Kpis"]),
        (
            Column("partnership"),
            Column("segment"),
            Column("kpi"),
            Column("category"),
            Column("period"),
            Column("value"),
            Column("unit"),
            Column("norm"),
            Column("norm_illustrative", "bool"),
            Column("outside_norm"),
        ),
        [
            [
                k["partnership"],
                s["segment"],
                s["name_nl"],
                s["category"] or None,
                p["period"],
                "x" if p["value"] is None else p["value"],
                s["unit"],
                p["norm"],
                p["norm_illustrative"],
                {True: "ja", False: "nee", None: "—"}[p["outside_norm"]],
            ]
            for k in snapshot["kpis"]
            for s in k["series"]
            for p in s["points"]
        ],
    )
    return fixed_xlsx(book, meta["created_at"])
