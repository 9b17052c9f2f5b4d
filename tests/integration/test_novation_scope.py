"""A contract passed to another partnership (a novation) keeps its earlier spending with the
partnership that held it on the booking date: in the spending list, the reconciliation (split
at the takeover), its exports and the consortium page, each partnership sees exactly its own
rows and its own duplicate invoices, and nothing of the other's.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session

from populatie.app import create_app
from populatie.contracts.service import ContractChange, change_contract, contract_holdings
from populatie.db import session_scope
from populatie.errors import DataError
from populatie.reconciliation.service import reconcile_year
from populatie.web.service import consortium_page
from tests.integration.api_support import KRACHT, RONDOMJOU, World, build_world
from tests.integration.spending_support import add_contract, seed_registry
from tests.integration.web_support import sign_in

HEADER = (
    "booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,"
    "description\n"
)
CONTRACT = "NOV-2025-L1"
INCLUZIO = "Incluzio Randstad B.V."  # lead member of Kracht voor Jeugd en Gezin
JEUGDFORMAAT = "Stichting Jeugdformaat"  # lead member of RondomJou
CALLER_OF = {KRACHT: "kracht", RONDOMJOU: "rondomjou"}


def _file(provider: str, months: range, prefix: str) -> tuple[bytes, dict[str, int]]:
    """One row a month on the contract, and a repeat of the first month's row under another
    invoice reference (a duplicate invoice); invoice → cents."""
    lines, invoices = [], {}
    for month in months:
        cents = 100_000 + month * 100
        invoice = f"{prefix}-2025-{month:02d}"
        lines.append(
            f"2025-{month:02d}-15,GM0518,,{CONTRACT},specialist,{provider},"
            f"{cents // 100}.{cents % 100:02d},{invoice},trajectory fee"
        )
        invoices[invoice] = cents
    first = months[0]
    cents = 100_000 + first * 100
    lines.append(
        f"2025-{first:02d}-15,GM0518,,{CONTRACT},specialist,{provider},"
        f"{cents // 100}.{cents % 100:02d},{prefix}-DUP,trajectory fee"
    )
    invoices[f"{prefix}-DUP"] = cents
    return (HEADER + "\n".join(lines) + "\n").encode(), invoices


@pytest.fixture
def novated(engine: Engine) -> tuple[World, dict[str, dict[str, int]]]:
    """Kracht holds the contract January to June, RondomJou from 1 July (after the first
    half-year was imported); each half has its own duplicate invoice."""
    world = build_world(engine)
    finance = world.headers("finance")
    first, kracht_rows = _file(INCLUZIO, range(1, 7), "KVJG")
    second, rondomjou_rows = _file(JEUGDFORMAAT, range(7, 13), "RDJ")
    with TestClient(app=create_app(engine)) as client:
        created = client.post(
            "/api/contracts",
            json={
                "reference": CONTRACT,
                "lot": "GM0518/1",
                "starts_on": "2025-01-01",
                "ends_on": "2025-12-31",
                "funding_form": "population-based",
                "ceilings_cents": {"2025": 1_000_000_000_00},
            },
            headers=finance,
        )
        assert created.status_code == 201, created.text
        assert created.json()["partnership"] == KRACHT
        upload = client.post(
            "/api/spending", files={"file": ("h1.csv", first, "text/csv")}, headers=finance
        )
        assert upload.status_code == 200, upload.text

        # a change of partnership must say from when
        undated = client.patch(
            f"/api/contracts/{CONTRACT}",
            json={"partnership": RONDOMJOU, "reason": "novation"},
            headers=finance,
        )
        assert undated.status_code == 422, undated.text
        assert "partnership_from" in undated.json()["detail"]
        mid_month = client.patch(
            f"/api/contracts/{CONTRACT}",
            json={"partnership": RONDOMJOU, "partnership_from": "2025-07-15", "reason": "x"},
            headers=finance,
        )
        assert mid_month.status_code == 422, mid_month.text
        assert "first of a month" in mid_month.json()["detail"]

        changed = client.patch(
            f"/api/contracts/{CONTRACT}",
            json={
                "partnership": RONDOMJOU,
                "partnership_from": "2025-07-01",
                "reason": "novation to RondomJou",
            },
            headers=finance,
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["partnership"], changed.json()["partnership_from"]) == (
            RONDOMJOU,
            "2025-07-01",
        )
        upload = client.post(
            "/api/spending", files={"file": ("h2.csv", second, "text/csv")}, headers=finance
        )
        assert upload.status_code == 200, upload.text
    return world, {KRACHT: kracht_rows, RONDOMJOU: rondomjou_rows}


def test_each_holder_lists_exactly_its_own_rows(
    novated: tuple[World, dict[str, dict[str, int]]],
) -> None:
    world, rows_of = novated
    with TestClient(app=create_app(world.engine)) as client:
        every = client.get(
            "/api/spending", params={"reference": CONTRACT}, headers=world.headers("finance")
        ).json()
        assert every["total"] == 14
        for partnership, own in rows_of.items():
            h = world.headers(CALLER_OF[partnership])
            seen = client.get("/api/spending", params={"limit": 1000}, headers=h).json()
            assert {r["invoice_reference"] for r in seen["items"]} == set(own)
            assert seen["amount_cents"] == sum(own.values())
            # the filters narrow inside the scope, never past it
            after = client.get(
                "/api/spending", params={"booked_from": "2025-07-01"}, headers=h
            ).json()
            assert {r["invoice_reference"] for r in after["items"]} == {
                i for i in own if i.startswith("RDJ")
            }
            # both see the contract they held, as it stands now
            contract = client.get(f"/api/contracts/{CONTRACT}", headers=h)
            assert contract.status_code == 200
            assert contract.json()["partnership"] == RONDOMJOU


def test_the_reconciliation_splits_the_contract_at_the_takeover(
    novated: tuple[World, dict[str, dict[str, int]]],
) -> None:
    world, rows_of = novated
    with TestClient(app=create_app(world.engine)) as client:
        full = client.get(
            "/api/reconciliation", params={"year": 2025}, headers=world.headers("finance")
        ).json()
        totals = [
            line
            for line in full["lines"]
            if line["contract"] == CONTRACT and line["domain"] == "total"
        ]
        assert [(t["partnership"], t["months_in_force"], t["spent_cents"]) for t in totals] == [
            (KRACHT, 6, sum(rows_of[KRACHT].values())),
            (RONDOMJOU, 6, sum(rows_of[RONDOMJOU].values())),
        ]
        # each holder's providers are members of the partnership holding it then
        assert not [e for e in full["exceptions"] if e["kind"] == "provider-not-member"]
        duplicates = {e["subject"] for e in full["exceptions"] if e["kind"] == "duplicate-invoice"}
        assert duplicates == {"invoice KVJG-DUP", "invoice RDJ-DUP"}

        for partnership, own in rows_of.items():
            caller = CALLER_OF[partnership]
            other = RONDOMJOU if partnership == KRACHT else KRACHT
            foreign = set(rows_of[other])
            h = world.headers(caller)
            report = client.get("/api/reconciliation", params={"year": 2025}, headers=h).json()
            mine = [line for line in report["lines"] if line["contract"] == CONTRACT]
            assert {line["partnership"] for line in report["lines"]} == {partnership}
            assert [line["spent_cents"] for line in mine if line["domain"] == "total"] == [
                sum(own.values())
            ]
            # the reconciliation runs to the last month of its own spending
            assert report["to"] == ("2025-06" if partnership == KRACHT else "2025-12")
            own_duplicates = [e for e in report["exceptions"] if e["kind"] == "duplicate-invoice"]
            assert [e["subject"] for e in own_duplicates] == [
                "invoice KVJG-DUP" if partnership == KRACHT else "invoice RDJ-DUP"
            ]
            text = json.dumps(report)
            assert not [i for i in foreign if i in text], "another partnership's invoices"

            csv_text = client.get(
                "/api/exports/reconciliation.csv", params={"year": 2025}, headers=h
            ).text
            xlsx = client.get(
                "/api/exports/reconciliation.xlsx", params={"year": 2025}, headers=h
            ).content
            book = load_workbook(io.BytesIO(xlsx), read_only=True)
            cells = " ".join(
                str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r
            )
            for exported in (csv_text, cells):
                assert other not in exported
                assert not [i for i in foreign if i in exported]
                assert partnership in exported


def test_the_consortium_page_shows_its_own_rows_and_duplicates_only(
    novated: tuple[World, dict[str, dict[str, int]]],
) -> None:
    world, rows_of = novated
    app = create_app(world.engine)
    for partnership in rows_of:
        other = RONDOMJOU if partnership == KRACHT else KRACHT
        with TestClient(app, base_url="http://populatie.test") as client:
            sign_in(client, world.tokens[CALLER_OF[partnership]])
            html = client.get("/consortium", params={"year": 2025}).text
        own_duplicate = "KVJG-DUP" if partnership == KRACHT else "RDJ-DUP"
        assert own_duplicate in html
        assert not [i for i in rows_of[other] if i in html], f"on the page of {partnership}"
    with Session(world.engine) as session:
        page = consortium_page(session, KRACHT, 2025)
    kracht_area = next(a for a in page.areas if a.code == "GM0518-L1")
    assert "€" in kracht_area.spent
    assert page.to_month.startswith("juni")


def test_the_history_says_who_held_the_contract_when(engine: Engine) -> None:
    seed_registry(engine)
    add_contract(engine, "H-1", starts_on=date(2024, 1, 1), ends_on=date(2026, 12, 31))
    steps = [
        (RONDOMJOU, date(2025, 7, 1)),
        (KRACHT, date(2026, 1, 1)),
        (RONDOMJOU, date(2025, 10, 1)),  # retroactive: ends the holdings from then on
        (KRACHT, date(2023, 6, 1)),  # before the start: a correction of who registered it
    ]
    expected = [
        [(KRACHT, None), (RONDOMJOU, date(2025, 7, 1))],
        [(KRACHT, None), (RONDOMJOU, date(2025, 7, 1)), (KRACHT, date(2026, 1, 1))],
        [(KRACHT, None), (RONDOMJOU, date(2025, 7, 1))],
        [(KRACHT, date(2024, 1, 1))],
    ]
    for (partnership, since), holdings in zip(steps, expected, strict=True):
        with session_scope(engine) as s:
            change_contract(
                s, "H-1", ContractChange(partnership=partnership, partnership_from=since), "f", "n"
            )
        with Session(engine) as s:
            (held,) = contract_holdings(s).values()
        assert held == holdings
    with pytest.raises(DataError, match="holds the contract already"), session_scope(engine) as s:
        change_contract(
            s,
            "H-1",
            ContractChange(partnership=KRACHT, partnership_from=date(2025, 1, 1)),
            "f",
            "n",
        )
    with pytest.raises(DataError, match="after the contract ends"), session_scope(engine) as s:
        change_contract(
            s,
            "H-1",
            ContractChange(partnership=RONDOMJOU, partnership_from=date(2027, 1, 1)),
            "f",
            "n",
        )
    with Session(engine) as s:
        assert reconcile_year(s, 2025).lines  # reads the history without trouble
