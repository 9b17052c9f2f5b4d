"""Text from an imported file stays text in every export: a provider, invoice reference or file
name such as ``=HYPERLINK(…)`` is never written as a live formula (in the Dutch default and in
the English machine format alike), and a row that a workbook
cannot hold does not break the exports for everyone.

End to end: the file is uploaded through the API, then every export is downloaded — the API's
CSV and XLSX (by finance and by the consortium whose contract the rows are booked on), the
finance page's files and ``populatie reconcile --format csv|xlsx``.
"""

from __future__ import annotations

import csv
import io
import re
from itertools import product
from pathlib import Path

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from populatie.app import create_app
from populatie.db import session_scope
from populatie.spending.demo import register_demo_contracts
from populatie.spending.parsing import COLUMNS
from populatie.spreadsheets import FORMULA_TRIGGERS
from tests.integration.api_support import CONTRACT_OF, KRACHT, World, build_world
from tests.integration.conftest import run_cli
from tests.integration.web_support import sign_in

PROVIDER = '=HYPERLINK("https://evil.example/?q=1","klik")'
INVOICE = '=HYPERLINK("https://evil.example","i")'
DESCRIPTION = '=HYPERLINK("https://evil.example","d")'
FILE_NAME = "=1+2.csv"


def _file() -> bytes:
    contract = CONTRACT_OF[KRACHT]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        ["2025-03-14", "GM0518", "", contract, "specialist", PROVIDER, "1234.56", INVOICE,
         DESCRIPTION]
    )  # fmt: skip
    writer.writerow(
        ["2025-03-15", "GM0518", "", contract, "access", "@SUM(1+1)", "-250.00", "-INV-2",
         "+credit"]
    )  # fmt: skip
    writer.writerow(
        ["2025-04-01", "GM0518", "", contract, "access", "Incluzio Randstad B.V.", "500.00",
         "INV-3", "\tplain"]
    )  # fmt: skip
    return out.getvalue().encode()


@pytest.fixture
def world(engine: Engine) -> World:
    world = build_world(engine)
    with session_scope(engine) as session:
        register_demo_contracts(session, 2025, "test")
    return world


def _upload(client: TestClient, world: World, content: bytes, name: str = FILE_NAME):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/spending",
        files={"file": (name, content, "text/csv")},
        headers=world.headers("finance"),
    )


def assert_xlsx_holds_text(content: bytes) -> None:
    """No cell of any sheet is a formula, and the planted texts are string cells, verbatim."""
    book = load_workbook(io.BytesIO(content))
    planted = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
                    planted.append(cell.value)
    assert PROVIDER in planted, planted
    assert INVOICE in planted, planted


def assert_csv_is_neutralised(content: str) -> None:
    """Every text cell that would start a formula starts with a quote; numbers stay numbers.

    The Dutch CSV (BOM, ``;``, euro with a decimal comma) names the provider inside a Dutch
    sentence; the English one in a cell of its own, quoted."""
    dutch = content.startswith("\ufeff")
    rows = csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=";" if dutch else ",")
    cells = [cell for row in rows for cell in row]
    number = re.compile(r"-\d+,\d\d" if dutch else r"-\d+")  # a negative amount
    for cell in cells:
        if cell.startswith(FORMULA_TRIGGERS):
            assert number.fullmatch(cell), cell
    assert any(PROVIDER in c for c in cells), cells
    if not dutch:
        assert any(c.startswith("'" + PROVIDER) for c in cells), cells
    assert any(c.startswith("'-") or number.fullmatch(c) for c in cells)


def test_text_from_a_file_is_never_a_formula_in_any_export(world: World, tmp_path: Path) -> None:
    with TestClient(app=create_app(world.engine), base_url="http://populatie.test") as client:
        done = _upload(client, world, _file())
        assert done.status_code == 200, done.text
        for caller, lang in product(("finance", "kracht"), ("nl", "en")):
            headers = world.headers(caller)
            params = {"year": 2025, "lang": lang}
            xlsx = client.get("/api/exports/reconciliation.xlsx", params=params, headers=headers)
            assert xlsx.status_code == 200, xlsx.text
            assert_xlsx_holds_text(xlsx.content)
            got = client.get("/api/exports/reconciliation.csv", params=params, headers=headers)
            assert got.status_code == 200, got.text
            assert got.headers["content-type"] == "text/csv; charset=utf-8"
            assert_csv_is_neutralised(got.text)
            budgets = client.get("/api/exports/budgets.xlsx", params=params, headers=headers)
            for sheet in load_workbook(io.BytesIO(budgets.content)).worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        assert cell.data_type != "f" or not isinstance(cell.value, str)

        sign_in(client, world.tokens["finance"])
        for lang in ("nl", "en"):
            params = {"year": 2025, "lang": lang}
            page_xlsx = client.get("/finance/reconciliation.xlsx", params=params)
            assert page_xlsx.status_code == 200, page_xlsx.text
            assert_xlsx_holds_text(page_xlsx.content)
            page_csv = client.get("/finance/reconciliation.csv", params=params)
            assert page_csv.headers["content-type"] == "text/csv; charset=utf-8"
            assert_csv_is_neutralised(page_csv.text)

    url = world.engine.url.render_as_string(hide_password=False)
    for fmt, lang in product(("xlsx", "csv"), ("nl", "en")):
        out = tmp_path / f"reconciliation-{lang}.{fmt}"
        done_cli = run_cli(
            tmp_path, "reconcile", "--year", "2025", "--format", fmt, "--out", str(out),
            "--lang", lang, database_url=url,
        )  # fmt: skip
        assert done_cli.returncode == 0, done_cli.stderr
        if fmt == "xlsx":
            assert_xlsx_holds_text(out.read_bytes())
        else:
            assert_csv_is_neutralised(out.read_text(encoding="utf-8"))


def test_a_control_character_is_refused_and_cannot_break_the_workbook(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        spoiled = _file().replace(b"@SUM(1+1)", b"Zorg\x01BV")
        rejected = _upload(client, world, spoiled, "spoiled.csv")
        assert rejected.status_code == 422, rejected.text
        (error,) = rejected.json()["errors"]
        assert (error["line"], error["column"]) == (3, "provider")
        assert "control character" in error["reason"]
        assert client.get("/api/spending", headers=finance).json()["total"] == 0

        # A row stored before the import refused such characters still exports.
        assert _upload(client, world, _file()).status_code == 200
        with world.engine.begin() as conn:
            for table in ("spending", "spending_month"):
                conn.execute(
                    text(f"UPDATE {table} SET provider = :odd WHERE provider = :was"),
                    {"odd": "Zorg\x01BV", "was": "@SUM(1+1)"},
                )
        for caller in ("finance", "kracht"):
            xlsx = client.get(
                "/api/exports/reconciliation.xlsx",
                params={"year": 2025},
                headers=world.headers(caller),
            )
            assert xlsx.status_code == 200, xlsx.text
            values = [
                cell.value
                for sheet in load_workbook(io.BytesIO(xlsx.content)).worksheets
                for row in sheet.iter_rows()
                for cell in row
            ]
            assert "Zorg\\x01BV" in values
