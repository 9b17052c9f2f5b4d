"""Text renderings of a run for the CLI: a table for people, JSON for other tools, CSV for both
(Dutch by default, as Dutch Excel opens it; ``--lang en`` the English machine format)."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console
from rich.table import Table

from populatie.allocations.service import RunReport
from populatie.configuration import DOMAINS
from populatie.core import format_euro
from populatie.dutch_sheets import Column, csv_text
from populatie.spreadsheets import csv_row

DOMAIN_LABELS = {"prevention": "Prevention", "access": "Access", "specialist": "Specialist"}


def render_json(report: RunReport) -> str:
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False)


def render_csv_nl(report: RunReport) -> str:
    """The same rows as :func:`render_csv`, in euro, Dutch headers and words."""
    from populatie.web.formatting import RUN_STATUS_LABELS  # the pages' words; loads late

    columns = (
        Column("run_id"), Column("year", "int"), Column("status", words=RUN_STATUS_LABELS),
        Column("area_code"), Column("name"), Column("municipality"), Column("partnership"),
        *(Column(d, "cents") for d in DOMAINS), Column("total", "cents"),
        Column("young_population", "int"), Column("young_population_derived", "bool"),
        Column("population", "int"), Column("change", "cents"), Column("damped", "bool"),
    )  # fmt: skip
    rows = [
        [
            report.run_id, report.year, report.status, a.code, a.name, a.municipality,
            a.partnership, *(a.domains[d] for d in DOMAINS), a.total_cents,
            a.young_population_whole, a.young_population_derived,
            None if a.population is None else round(a.population), a.change_cents, a.damped,
        ]
        for a in report.areas
    ]  # fmt: skip
    return csv_text(columns, rows)


def render_csv(report: RunReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "run_id", "year", "status", "code", "area", "municipality", "partnership",
            *(f"{d}_cents" for d in DOMAINS), "total_cents", "young_population",
            "young_population_derived", "population", "change_cents", "damped",
        ]
    )  # fmt: skip
    for a in report.areas:
        writer.writerow(
            csv_row([
                report.run_id, report.year, report.status, a.code, a.name, a.municipality,
                a.partnership or "", *(a.domains[d] for d in DOMAINS), a.total_cents,
                "" if a.young_population_whole is None else a.young_population_whole,
                str(a.young_population_derived).lower(),
                "" if a.population is None else f"{a.population:.0f}",
                "" if a.change_cents is None else a.change_cents, str(a.damped).lower(),
            ])
        )  # fmt: skip
    return out.getvalue()


def render_table(report: RunReport, console: Console) -> None:
    table = Table(
        title=(
            f"Allocation {report.year} — run {report.run_id} ({report.status}, "
            f"scenario {report.scenario}, CBS data {report.data_vintage})"
        ),
        title_justify="left",
    )
    table.add_column("Area")
    table.add_column("Partnership", no_wrap=True)
    for d in DOMAINS:
        table.add_column(DOMAIN_LABELS[d], justify="right")
    table.add_column("Total", justify="right")
    table.add_column("€ per young inhabitant¹", justify="right")
    table.add_column("Change vs adopted previous year", justify="right")
    table.add_column("Damping bound hit")
    per_inhabitant_used = False
    for a in report.areas:
        value, unit = a.per_young_cents
        if value is None:
            per = "—"
        elif unit == "young inhabitant":
            per = format_euro(round(value))
        else:
            per_inhabitant_used = True
            per = f"{format_euro(round(value))} per inhabitant²"
        change = "no adopted run" if a.change_cents is None else format_euro(a.change_cents)
        bounds = ", ".join(f"{d}: {b}" for d, b in a.bounds.items()) or "—"
        table.add_row(
            f"{a.code} {a.name}",
            a.partnership or "(not configured)",
            *(format_euro(a.domains[d]) for d in DOMAINS),
            format_euro(a.total_cents),
            per,
            change,
            bounds,
        )
    for municipality, budget in report.budget_cents.items():
        table.add_row(
            f"Budget {municipality}",
            "",
            *(format_euro(budget[d]) for d in DOMAINS),
            format_euro(sum(budget.values())),
            "",
            "",
            "",
            style="bold",
        )
    console.print(table)
    console.print(
        "¹ young inhabitants = CBS age groups 0–14 and 15–24 (for 's-Gravenhage derived: "
        "2019 shares applied to 2024 inhabitants)."
    )
    if per_inhabitant_used:
        console.print(
            "² no age figures are shipped for this municipality: amount per inhabitant (CBS 2024)."
        )
    for note in report.notes:
        console.print(f"note: {note}")
