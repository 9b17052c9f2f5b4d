"""Exports for spreadsheets and maps: budgets (CSV, XLSX, GeoJSON) and reconciliation (CSV,
XLSX), each scoped to the caller's partnership exactly as the JSON resources are.

The spreadsheets are Dutch by default (:mod:`populatie.dutch_sheets`); ``lang="en"`` writes
the English machine format (cents, ``,``-separated) as it has always been. The Dutch budgets
name who adopted a run in words, as the pages do (:func:`populatie.auth.authors.author_name`),
not as the audit log and the JSON do."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.api import schemas
from populatie.api.budgets import list_budgets
from populatie.api.pagination import Window
from populatie.auth.authors import author_name
from populatie.configuration import DOMAINS
from populatie.core.reconciliation import Reconciliation
from populatie.districts.models import District, DistrictShape
from populatie.dutch_sheets import SHEETS, Column, Lang, csv_text, fill_sheet
from populatie.reconciliation.render import render_csv, write_xlsx
from populatie.reconciliation.render_nl import render_csv_nl, write_xlsx_nl
from populatie.registry.models import AreaDistrict
from populatie.spreadsheets import append_row, csv_row

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BUDGET_COLUMNS = (
    "year", "area", "name", "municipality", "partnership", "run_id",
    *(f"{d}_cents" for d in DOMAINS), "total_cents",
)  # fmt: skip
_ALL = Window(limit=10**9, offset=0)
BUDGET_COLUMNS_NL = (
    Column("year", "int"), Column("area_code"), Column("name"), Column("municipality"),
    Column("partnership"), *(Column(d, "cents") for d in DOMAINS), Column("total", "cents"),
    Column("adopted_at", "date"), Column("adopted_by"), Column("run_id"),
)  # fmt: skip


def _budgets(session: Session, scope: str | None, year: int | None) -> list[schemas.AreaBudget]:
    return list_budgets(session, _ALL, scope, year).items


def _row(b: schemas.AreaBudget) -> list[Any]:
    return [
        b.year, b.area, b.name, b.municipality, b.partnership or "", b.run_id,
        *(b.domains[d] for d in DOMAINS), b.total_cents,
    ]  # fmt: skip


def _rows_nl(session: Session, scope: str | None, year: int | None) -> Iterator[list[Any]]:
    for b in _budgets(session, scope, year):
        yield [
            b.year, b.area, b.name, b.municipality, b.partnership,
            *(b.domains[d] for d in DOMAINS), b.total_cents, b.adopted_at,
            author_name(session, b.adopted_by), b.run_id,
        ]  # fmt: skip


def budgets_csv(session: Session, scope: str | None, year: int | None, lang: Lang = "nl") -> str:
    if lang == "nl":
        return csv_text(BUDGET_COLUMNS_NL, _rows_nl(session, scope, year))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BUDGET_COLUMNS)
    writer.writerows(csv_row(_row(b)) for b in _budgets(session, scope, year))
    return out.getvalue()


def budgets_xlsx(session: Session, scope: str | None, year: int | None, lang: Lang = "nl") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if lang == "nl":
        sheet.title = SHEETS["Budgets"]
        fill_sheet(sheet, BUDGET_COLUMNS_NL, _rows_nl(session, scope, year))
        return _save(book)
    sheet.title = "Budgets"
    append_row(sheet, [c.removesuffix("_cents") for c in BUDGET_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    money = '"€" #,##0.00'
    for b in _budgets(session, scope, year):
        number = append_row(
            sheet,
            [v if not k.endswith("_cents") else Decimal(v).scaleb(-2) for k, v in zip(
                BUDGET_COLUMNS, _row(b), strict=True
            )],
        )  # fmt: skip
        for i, name in enumerate(BUDGET_COLUMNS, start=1):
            if name.endswith("_cents"):
                sheet.cell(number, i).number_format = money
    sheet.freeze_panes = "A2"
    return _save(book)


def budgets_geojson(session: Session, scope: str | None, year: int | None) -> dict[str, Any]:
    """Every district of the caller's areas (newest boundary, WGS84) with its area's budget."""
    newest: dict[str, schemas.AreaBudget] = {}
    for b in _budgets(session, scope, year):
        if b.area not in newest or b.year > newest[b.area].year:
            newest[b.area] = b
    rows = session.execute(
        select(col(District.code), col(District.name), col(AreaDistrict.area_code),
               col(DistrictShape.geojson_wgs84))
        .join(AreaDistrict, col(AreaDistrict.district_code) == col(District.code))
        .join(DistrictShape, (col(DistrictShape.district_code) == col(District.code))
              & (col(DistrictShape.vintage) == col(District.shape_vintage)))
        .where(col(AreaDistrict.area_code).in_(sorted(newest)))
        .order_by(col(District.code))
    ).all()  # fmt: skip
    features = []
    for code, name, area, geometry in rows:
        b = newest[str(area)]
        features.append(
            {
                "type": "Feature",
                "id": code,
                "geometry": json.loads(geometry),
                "properties": {
                    "district": code,
                    "district_name": name,
                    "area": b.area,
                    "area_name": b.name,
                    "partnership": b.partnership,
                    "year": b.year,
                    **{f"{d}_cents": b.domains[d] for d in DOMAINS},
                    "total_cents": b.total_cents,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "attribution": "Bron: CBS"}


def reconciliation_csv(result: Reconciliation, lang: Lang = "nl") -> str:
    return render_csv_nl(result) if lang == "nl" else render_csv(result)


def reconciliation_xlsx(result: Reconciliation, lang: Lang = "nl") -> bytes:
    with tempfile.TemporaryDirectory(prefix="populatie-export-") as folder:
        path = Path(folder) / "reconciliation.xlsx"
        (write_xlsx_nl if lang == "nl" else write_xlsx)(result, path)
        return path.read_bytes()


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
