"""Spending uploads and lists, contracts, reconciliation and exports through the real app."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session

from populatie.app import create_app
from populatie.configuration import load_config
from populatie.db import session_scope
from populatie.reconciliation.service import reconcile_year, report_json
from populatie.spending.demo import register_demo_contracts, write_demo_spending
from tests.integration.api_support import AREAS_OF, CONFIG, KRACHT, World, build_world

PROBLEMS = "https://populatie.example/problems/"
HEADER = (
    "booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,"
    "description\n"
)


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture
def demo_file(world: World, tmp_path: Path) -> Path:
    with session_scope(world.engine) as session:
        register_demo_contracts(session, 2025, "test")
        out = tmp_path / "spending-2025.csv"
        write_demo_spending(session, 2025, 1200, 11, out)
    return out


def _upload(client: TestClient, world: World, name: str, content: bytes, caller: str = "finance"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/spending",
        files={"file": (name, content, "text/csv")},
        headers=world.headers(caller),
    )


def test_upload_is_all_or_nothing_and_audited(world: World, demo_file: Path) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        assert _upload(client, world, "x.csv", demo_file.read_bytes(), "planner").status_code == 403
        assert _upload(client, world, "x.csv", demo_file.read_bytes(), "kracht").status_code == 404

        bad = HEADER + (
            "2025-02-30,GM0518,WK051801,GM0518/1,prevention,Incluzio Randstad B.V.,12.50,B-1,\n"
            "2025-03-01,GM9999,,GM0518/1,nursing,Incluzio Randstad B.V.,abc,B-2,\n"
        )
        rejected = _upload(client, world, "bad.csv", bad.encode())
        assert rejected.status_code == 422, rejected.text
        problem = rejected.json()
        assert problem["type"] == PROBLEMS + "spending-import"
        found = {(e["line"], e["column"]) for e in problem["errors"]}
        assert {(2, "booking_date"), (3, "municipality"), (3, "domain"), (3, "amount")} <= found
        assert all({"line", "column", "value", "reason"} <= set(e) for e in problem["errors"])
        assert client.get("/api/spending", headers=finance).json()["total"] == 0

        done = _upload(client, world, "spending-2025.csv", demo_file.read_bytes())
        assert done.status_code == 200, done.text
        outcome = done.json()
        assert outcome["imported"] is True
        assert outcome["rows"] == 1200
        again = _upload(client, world, "again.csv", demo_file.read_bytes()).json()
        assert again["imported"] is False
        assert again["import_id"] == outcome["import_id"]

        listing = client.get("/api/spending", headers=finance).json()
        assert listing["total"] == 1200
        assert listing["amount_cents"] == outcome["amount_cents"]
        events = client.get(
            "/api/audit", params={"action": "spending.import"}, headers=finance
        ).json()["items"]
        assert len(events) == 1
        assert events[0]["actor"].startswith("token:")
        assert events[0]["target"] == f"spending_import/{outcome['import_id']}"


def test_spending_list_filters_and_pages(world: World, demo_file: Path) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        assert _upload(client, world, "s.csv", demo_file.read_bytes()).status_code == 200
        everything = client.get("/api/spending", params={"limit": 1000}, headers=finance).json()
        rows = everything["items"]
        assert everything["total"] == 1200
        assert (
            sum(r["amount_cents"] for r in rows)
            + sum(
                r["amount_cents"]
                for r in client.get(
                    "/api/spending", params={"limit": 1000, "offset": 1000}, headers=finance
                ).json()["items"]
            )
            == everything["amount_cents"]
        )
        dates = [r["booked_on"] for r in rows]
        assert dates == sorted(dates, reverse=True)
        q = {"domain": "prevention", "booked_from": "2025-03-01", "booked_to": "2025-03-31"}
        march = client.get("/api/spending", params={**q, "limit": 1000}, headers=finance).json()
        assert march["total"] > 0
        assert all(r["domain"] == "prevention" for r in march["items"])
        assert all("2025-03-01" <= r["booked_on"] <= "2025-03-31" for r in march["items"])
        bad = client.get("/api/spending", params={"domain": "nursing"}, headers=finance)
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["field"] == "domain"


def test_reconciliation_is_the_cli_content(world: World, demo_file: Path) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        assert _upload(client, world, "s.csv", demo_file.read_bytes()).status_code == 200
        body = client.get("/api/reconciliation", params={"year": 2025}, headers=finance).json()
        with Session(world.engine) as session:
            cli = report_json(reconcile_year(session, 2025, None, load_config(CONFIG)))
        assert body == json.loads(json.dumps(cli))
        march = client.get(
            "/api/reconciliation", params={"year": 2025, "to_month": 3}, headers=finance
        ).json()
        assert march["to"] == "2025-03"
        no_year = client.get("/api/reconciliation", headers=finance)
        assert no_year.status_code == 400
        assert no_year.json()["errors"] == [
            {"field": "year", "source": "query", "message": "required"}
        ]

        contracts = client.get("/api/contracts", params={"year": 2025}, headers=finance).json()
        assert {c["reference"] for c in contracts["items"]} >= {"DEMO-H10-GM0518-P1"}
        one = client.get("/api/contracts/DEMO-H10-GM0518-P1", headers=finance).json()
        assert (one["lot"], one["partnership"]) == ("GM0518/1", KRACHT)


def test_exports_as_files_in_the_machine_format(world: World, demo_file: Path) -> None:
    """``lang=en``: the English machine format, as before the Dutch default."""
    en = {"lang": "en"}
    with TestClient(app=create_app(world.engine)) as client:
        finance = world.headers("finance")
        assert _upload(client, world, "s.csv", demo_file.read_bytes()).status_code == 200
        budgets = client.get("/api/exports/budgets.csv", params=en, headers=finance)
        assert budgets.headers["content-type"].startswith("text/csv")
        assert "attachment" in budgets.headers["content-disposition"]
        table = list(csv.DictReader(io.StringIO(budgets.text)))
        assert len(table) == 13
        assert all(int(r["total_cents"]) > 0 for r in table)

        kracht = world.headers("kracht")
        own = list(
            csv.DictReader(
                io.StringIO(client.get("/api/exports/budgets.csv", params=en, headers=kracht).text)
            )
        )
        assert [r["area"] for r in own] == AREAS_OF[KRACHT]

        book = load_workbook(
            io.BytesIO(client.get("/api/exports/budgets.xlsx", params=en, headers=finance).content)
        )
        assert book.sheetnames == ["Budgets"]
        assert book["Budgets"].max_row == 14

        features = client.get("/api/exports/budgets.geojson", headers=kracht).json()["features"]
        assert {f["properties"]["area"] for f in features} == set(AREAS_OF[KRACHT])
        assert len(features) == 14 + 8  # the districts of lots 1 and 3

        recon = client.get(
            "/api/exports/reconciliation.xlsx", params={"year": 2025, **en}, headers=finance
        )
        sheets = load_workbook(io.BytesIO(recon.content)).sheetnames
        assert sheets[:4] == ["Reconciliation", "Exceptions", "Evidence", "About"]
        text = client.get(
            "/api/exports/reconciliation.csv", params={"year": 2025, **en}, headers=finance
        ).text
        assert text.startswith("record,year,to,")
