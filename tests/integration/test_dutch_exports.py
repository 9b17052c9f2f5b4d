"""The exports as a Dutch finance department opens them, through the real app.

Budgets and reconciliation, XLSX and CSV, Dutch by default; every figure is checked against
the JSON API (which stays English and in cents), not against the exporter's own code.
``lang=en`` gives the English machine format of before, byte for byte as rebuilt here from
the JSON.
"""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Engine

from populatie.app import create_app
from populatie.configuration import DOMAINS
from populatie.dutch_sheets import DATE_FORMAT, EURO_FORMAT
from tests.integration.api_support import AREAS_OF, KRACHT, World, adopt_as, build_world

BUDGET_HEADERS = [
    "Jaar", "Gebiedscode", "Naam", "Gemeente", "Samenwerkingsverband", "Preventie",
    "Toegang en basiszorg", "Specialistische hulp", "Totaal", "Vastgesteld op",
    "Vastgesteld door", "Run",
]  # fmt: skip
LINE_HEADERS = [
    "Contract", "Perceel", "Gebied", "Gemeente", "Samenwerkingsverband", "Domein", "Budget",
    "Plafond", "Besteed", "Prognose", "Nog te besteden", "Budget min prognose", "Status",
    "Maanden in looptijd", "Maanden verstreken",
]  # fmt: skip
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, spending=True)


def _cents(text: str) -> int | None:
    """A Dutch CSV amount (``-1234,56``) as cents, the way a reader would parse it."""
    if text == "":
        return None
    assert "." not in text, text
    return int(Decimal(text.replace(",", ".")) * 100)


def _euros(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents) / 100


def _dutch_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(BOM)
    text = content.decode("utf-8")
    assert text.count("\r\n") == text.count("\n")  # CRLF only (no newline inside a field here)
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def _rows(sheet: Worksheet) -> list[dict[str, Any]]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2, values_only=True)]


def _assert_sheet_is_laid_out(sheet: Worksheet) -> None:
    width = sheet.max_column
    last = sheet.cell(1, width).column_letter
    assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}"
    assert sheet.freeze_panes == "A2"
    for cell in sheet[1]:
        assert cell.font.b
        assert sheet.column_dimensions[cell.column_letter].width >= len(str(cell.value))


def test_budgets_xlsx_and_csv_are_dutch(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        budgets = client.get("/api/budgets", params={"limit": 100}, headers=finance).json()
        by_area = {b["area"]: b for b in budgets["items"]}
        assert len(by_area) == 13

        book = load_workbook(
            io.BytesIO(client.get("/api/exports/budgets.xlsx", headers=finance).content)
        )
        assert book.sheetnames == ["Budgetten"]
        sheet = book["Budgetten"]
        assert [c.value for c in sheet[1]] == BUDGET_HEADERS
        _assert_sheet_is_laid_out(sheet)
        rows = _rows(sheet)
        assert sorted(r["Gebiedscode"] for r in rows) == sorted(by_area)
        names = [r["Samenwerkingsverband"] or "" for r in rows]
        assert sheet.column_dimensions["E"].width >= max(len(n) for n in names)
        for number, row in enumerate(rows, start=2):
            json_row = by_area[row["Gebiedscode"]]
            for d, header in zip(DOMAINS, BUDGET_HEADERS[5:8], strict=True):
                assert Decimal(str(row[header])) == _euros(json_row["domains"][d])
            assert Decimal(str(row["Totaal"])) == _euros(json_row["total_cents"])
            for column in "FGHI":
                cell = sheet[f"{column}{number}"]
                assert cell.data_type == "n"
                assert cell.number_format == EURO_FORMAT
            adopted = sheet[f"J{number}"]
            assert adopted.is_date
            assert adopted.number_format == DATE_FORMAT
            assert adopted.value.date() == datetime.fromisoformat(json_row["adopted_at"]).date()

        response = client.get("/api/exports/budgets.csv", headers=finance)
        assert response.headers["content-type"].startswith("text/csv")
        table = _dutch_csv(response.content)
        assert list(table[0]) == BUDGET_HEADERS
        for row in table:
            json_row = by_area[row["Gebiedscode"]]
            domains = [_cents(row[h]) for h in BUDGET_HEADERS[5:8]]
            assert domains == [json_row["domains"][d] for d in DOMAINS]
            assert _cents(row["Totaal"]) == json_row["total_cents"] == sum(domains)
            day = date.fromisoformat(json_row["adopted_at"][:10])
            assert row["Vastgesteld op"] == day.strftime("%d-%m-%Y")

        own = _dutch_csv(
            client.get("/api/exports/budgets.csv", headers=world.headers("kracht")).content
        )
        assert [r["Gebiedscode"] for r in own] == AREAS_OF[KRACHT]


def test_the_dutch_budgets_name_who_adopted_in_words_the_json_as_the_audit_log(
    world: World,
) -> None:
    actor, name = adopt_as(world, "Team Den Haag")
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        items = client.get("/api/budgets", params={"limit": 100}, headers=finance).json()["items"]
        assert {b["adopted_by"] for b in items} == {actor}
        xlsx = client.get("/api/exports/budgets.xlsx", headers=finance).content
        rows = _rows(load_workbook(io.BytesIO(xlsx))["Budgetten"])
        assert len(rows) == len(items)
        assert {r["Vastgesteld door"] for r in rows} == {name}
        assert not [v for r in rows for v in r.values() if "token:" in str(v)]
        table = _dutch_csv(client.get("/api/exports/budgets.csv", headers=finance).content)
        assert {r["Vastgesteld door"] for r in table} == {name}
        own = _dutch_csv(
            client.get("/api/exports/budgets.csv", headers=world.headers("kracht")).content
        )
        assert [r["Vastgesteld door"] for r in own] == [name] * len(AREAS_OF[KRACHT])
        assert b"token:" not in client.get("/api/exports/budgets.csv", headers=finance).content


def test_budgets_in_english_are_the_machine_format_of_before(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        items = client.get("/api/budgets", params={"limit": 100}, headers=finance).json()["items"]
        got = client.get("/api/exports/budgets.csv", params={"lang": "en"}, headers=finance)
        expected = io.StringIO()
        writer = csv.writer(expected, lineterminator="\n")
        writer.writerow(
            ["year", "area", "name", "municipality", "partnership", "run_id",
             "prevention_cents", "access_cents", "specialist_cents", "total_cents"]
        )  # fmt: skip
        for b in items:
            writer.writerow(
                [b["year"], b["area"], b["name"], b["municipality"], b["partnership"] or "",
                 b["run_id"], *(b["domains"][d] for d in DOMAINS), b["total_cents"]]
            )  # fmt: skip
        assert got.content == expected.getvalue().encode()
        book = load_workbook(
            io.BytesIO(
                client.get(
                    "/api/exports/budgets.xlsx", params={"lang": "en"}, headers=finance
                ).content
            )
        )
        assert book.sheetnames == ["Budgets"]
        assert [c.value for c in book["Budgets"][1]][:3] == ["year", "area", "name"]
        assert (
            client.get(
                "/api/exports/budgets.csv", params={"lang": "de"}, headers=finance
            ).status_code
            == 400
        )


def test_reconciliation_xlsx_and_csv_are_dutch(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        params = {"year": 2025}
        report = client.get("/api/reconciliation", params=params, headers=finance).json()
        book = load_workbook(
            io.BytesIO(
                client.get(
                    "/api/exports/reconciliation.xlsx", params=params, headers=finance
                ).content
            )
        )
        # then a sheet per funding form (the demo has contracts in all five)
        forms = {
            "population-based": "Populatiegebonden",
            "task-based": "Taakgericht",
            "output-based-trajectory": "Output per traject",
            "output-based-month": "Output per maand",
            "effort-based": "Inspanningsgericht (PxQ)",
        }
        assert book.sheetnames == [
            "Verantwoording", "Signaleringen", "Onderbouwing", "Toelichting", *forms.values()
        ]  # fmt: skip
        for form, name in forms.items():
            own = [line for line in report["lines"] if line["funding_form"] == form]
            assert own
            assert [c.value for c in book[name][1]] == LINE_HEADERS
            assert [(r["Contract"], Decimal(str(r["Besteed"]))) for r in _rows(book[name])] == [
                (line["contract"], _euros(line["spent_cents"])) for line in own
            ]
        for sheet in book.worksheets:
            _assert_sheet_is_laid_out(sheet)
        lines = book["Verantwoording"]
        assert [c.value for c in lines[1]] == LINE_HEADERS
        rows = _rows(lines)
        assert len(rows) == len(report["lines"])
        for number, (row, line) in enumerate(zip(rows, report["lines"], strict=True), start=2):
            assert row["Contract"] == line["contract"]
            assert Decimal(str(row["Besteed"])) == _euros(line["spent_cents"])
            allocated = row["Budget"]
            assert (None if allocated is None else Decimal(str(allocated))) == _euros(
                line["allocated_cents"]
            )
            assert lines[f"I{number}"].number_format == EURO_FORMAT
        assert {r["Domein"] for r in rows} <= {
            "Preventie", "Toegang en basiszorg", "Specialistische hulp", "Totaal"
        }  # fmt: skip
        evidence = book["Onderbouwing"]
        header = [c.value for c in evidence[1]]
        booked = header.index("Boekdatum") + 1
        dated = [evidence.cell(n, booked) for n in range(2, evidence.max_row + 1)]
        dated = [c for c in dated if c.value is not None]
        assert dated, "the evidence names booking dates"
        assert all(c.is_date and c.number_format == DATE_FORMAT for c in dated)
        shown = sorted(c.value.date().isoformat() for c in dated)
        listed = sorted(
            str(e["booked_on"])
            for exc in report["exceptions"]
            for e in exc["evidence"]
            if e.get("booked_on")
        )
        assert shown == listed

        table = _dutch_csv(
            client.get("/api/exports/reconciliation.csv", params=params, headers=finance).content
        )
        month = int(report["to"][5:])
        last_day = f"{calendar.monthrange(2025, month)[1]:02d}-{month:02d}-2025"
        records = [r for r in table if r["Soort regel"] == "regel"]
        findings = [r for r in table if r["Soort regel"] == "signalering"]
        assert len(records) == len(report["lines"])
        assert len(findings) == len(report["exceptions"])
        for row, line in zip(records, report["lines"], strict=True):
            assert _cents(row["Besteed"]) == line["spent_cents"]
            assert _cents(row["Prognose"]) == line["forecast_cents"]
            assert _cents(row["Budget"]) == line["allocated_cents"]
            assert row["Uitgaven tot en met"] == last_day
        for row, exc in zip(findings, report["exceptions"], strict=True):
            assert _cents(row["Bedrag"]) == exc["amount_cents"]


def test_reconciliation_in_english_is_the_machine_format(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        params = {"year": 2025, "lang": "en"}
        report = client.get("/api/reconciliation", params={"year": 2025}, headers=finance).json()
        text = client.get("/api/exports/reconciliation.csv", params=params, headers=finance).text
        assert not text.startswith("\ufeff")
        assert "\r" not in text
        rows = list(csv.DictReader(io.StringIO(text)))
        lines = [r for r in rows if r["record"] == "line"]
        assert [int(r["spent_cents"]) for r in lines] == [
            line["spent_cents"] for line in report["lines"]
        ]
        book = load_workbook(
            io.BytesIO(
                client.get(
                    "/api/exports/reconciliation.xlsx", params=params, headers=finance
                ).content
            )
        )
        assert book.sheetnames == [
            "Reconciliation", "Exceptions", "Evidence", "About", "Population-based",
            "Task-based", "Output per trajectory", "Output per month", "Effort-based (PxQ)",
        ]  # fmt: skip
        trajectory = [[c.value for c in row] for row in book["Output per trajectory"].rows]
        contracts = {line["contract"] for line in report["lines"]}
        assert {r[0] for r in trajectory[1:]} <= contracts
        assert {
            line["contract"]
            for line in report["lines"]
            if line["funding_form"] == "output-based-trajectory"
        } == {r[0] for r in trajectory[1:]}
