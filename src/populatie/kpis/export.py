"""The KPI register as the routes answer it, and the overview as CSV, withheld figures marked."""

from __future__ import annotations

import csv
import io

from populatie.kpis import schemas
from populatie.kpis.register import Register
from populatie.spreadsheets import csv_row

__all__ = ["EXPORT_COLUMNS", "export_csv", "register_view"]


def register_view(register: Register) -> schemas.KpiRegister:
    items = []
    for kpi in register:
        data = kpi.as_json()
        data["norms"] = [schemas.KpiNorm(**n) for n in data["norms"]]
        items.append(schemas.KpiDefinition(**data))
    return schemas.KpiRegister(items=items, total=len(items))


EXPORT_COLUMNS = (
    "partnership",
    "segment",
    "kpi",
    "category",
    "period",
    "value",
    "numerator",
    "denominator",
    "suppressed",
    "norm",
    "norm_illustrative",
    "outside_norm",
)


def export_csv(view: schemas.Overview) -> bytes:
    """The overview as CSV; a withheld figure is ``x`` in its value, numerator and denominator."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for s in view.series:
        for p in s.points:
            mark = "x" if p.suppressed else ""
            writer.writerow(
                csv_row(
                    [
                        s.partnership,
                        s.segment,
                        s.kpi,
                        s.category,
                        p.period,
                        mark or _text(p.value),
                        mark or _text(p.numerator),
                        mark or _text(p.denominator),
                        "ja" if p.suppressed else "nee",
                        _text(p.norm),
                        "ja" if p.norm_illustrative else "nee",
                        "" if p.outside_norm is None else ("ja" if p.outside_norm else "nee"),
                    ]
                )
            )
    return out.getvalue().encode("utf-8")


def _text(value: float | int | None) -> str:
    return "" if value is None else str(value)
