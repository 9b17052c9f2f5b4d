"""The dossier as one Dutch document: a workbook, and the page's HTML (printable as it is).

The workbook holds the same figures as the page: the contract and its milestone, the ceiling
per year, the KPIs against their norms and the open exceptions, in Dutch words, with euro
amounts as :mod:`populatie.dutch_sheets` writes them.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from populatie.documents import fixed_xlsx, inline_styles, template_env
from populatie.dossiers import schemas
from populatie.dutch_sheets import SHEETS, Column, fill_sheet
from populatie.web.formatting import EXCEPTION_LABELS, STATUS_LABELS

__all__ = ["FUNDING_WORDS", "dossier_html", "dossier_xlsx"]

TEMPLATES = Path(__file__).parent / "templates"
_ENV = template_env(TEMPLATES)
FUNDING_WORDS = {
    "population-based": "populatiegebonden",
    "task-based": "taakgericht",
    "output-based-trajectory": "outputgericht (trajectprijs)",
    "output-based-month": "outputgericht (maandprijs)",
    "effort-based": "inspanningsgericht (P×Q)",
}
SEGMENT_BASIS_NL = (
    "Een contract kent in deze toepassing geen segment: het dossier toont de KPI's van alle "
    "segmenten van het samenwerkingsverband."
)


def dossier_html(dossier: schemas.Dossier, *, who: str, standalone: bool) -> str:
    """The page; ``standalone`` inlines the style sheets (for a saved or printed copy)."""
    return _ENV.get_template("dossier.html").render(
        d=dossier,
        who=who,
        funding=FUNDING_WORDS,
        basis=SEGMENT_BASIS_NL,
        styles=inline_styles() if standalone else "",
        standalone=standalone,
    )


def dossier_xlsx(dossier: schemas.Dossier, moment: datetime) -> bytes:
    """Sheets: Dossier (contract, milestone, summary), Plafond per jaar, KPI's, Signaleringen."""
    c = dossier.contract
    s = dossier.summary
    book = Workbook()
    about = book.active
    assert about is not None
    about.title = SHEETS["Dossier"]
    fill_sheet(
        about,
        (Column("label"), Column("value")),
        [
            ["Contract", c.reference],
            ["Perceel", c.lot],
            ["Gemeente", c.municipality],
            ["Gebied", c.area],
            ["Samenwerkingsverband", c.partnership],
            ["Looptijd", f"{_d(c.starts_on)} t/m {_d(c.ends_on)}"],
            ["Verlengbaar tot", _d(c.extendable_to) if c.extendable_to else "—"],
            ["Bekostiging", FUNDING_WORDS.get(c.funding_form, c.funding_form)],
            ["Mijlpaal", dossier.milestone.name_nl],
            ["Toelichting mijlpaal", dossier.milestone.description_nl],
            ["Bron mijlpaal", dossier.milestone.source],
            ["Segmenten", ", ".join(dossier.segments) or "—"],
            ["Segmenten: grondslag", SEGMENT_BASIS_NL],
            ["Jaren boven plafond", s.years_over_ceiling],
            ["Jaren met prognose boven plafond", s.years_forecast_over_ceiling],
            ["KPI's buiten norm", s.kpis_outside_norm],
            ["KPI's met signaal", s.kpis_with_signal],
            ["Open signaleringen", s.open_exceptions],
        ],
    )
    fill_sheet(
        book.create_sheet(SHEETS["Years"]),
        (
            Column("year", "int"),
            Column("to"),
            Column("ceiling", "cents"),
            Column("spent", "cents"),
            Column("forecast", "cents"),
            Column("remaining", "cents"),
            Column("status", words=STATUS_LABELS),
        ),
        [
            [
                y.year,
                y.to,
                y.ceiling_cents,
                y.spent_cents,
                y.forecast_cents,
                y.remaining_cents,
                y.status,
            ]
            for y in dossier.years
        ],
    )
    fill_sheet(book.create_sheet(SHEETS["Kpis"]), KPI_COLUMNS, (kpi_row(k) for k in dossier.kpis))
    fill_sheet(
        book.create_sheet(SHEETS["Exceptions"]),
        (
            Column("year", "int"),
            Column("kind", words=EXCEPTION_LABELS),
            Column("subject"),
            Column("amount", "cents"),
            Column("rows", "int"),
            Column("detail"),
        ),
        [
            [e.year, e.kind, e.subject_nl, e.amount_cents, e.rows or None, e.detail_nl]
            for e in dossier.exceptions
        ],
    )
    return fixed_xlsx(book, moment)


KPI_COLUMNS = (
    Column("segment"), Column("kpi"), Column("category"), Column("period"), Column("value"),
    Column("unit"), Column("norm"), Column("norm_illustrative", "bool"),
    Column("outside_norm"), Column("signals", "int"),
)  # fmt: skip


def kpi_row(k: schemas.DossierKpi) -> list[object]:
    """A KPI's cells; a withheld figure is written as ``x``, as in the KPI export."""
    outside = {True: "ja", False: "nee", None: "—"}[k.outside_norm]
    return [
        k.segment, k.name_nl, k.category or None, k.period,
        "x" if k.value is None else k.value, k.unit, k.norm, k.norm_illustrative, outside,
        k.signals,
    ]  # fmt: skip


def _d(day: date) -> str:
    return day.strftime("%d-%m-%Y")
