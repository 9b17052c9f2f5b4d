"""The go/no-go dossier of a contract, against the routes it is gathered from.

Its figures are checked against the reconciliation and KPI routes as each caller sees them
(the dossier adds up the contract's domain lines itself, the test from the route's lines);
access per role; the workbook and the page in Dutch.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from populatie.app import create_app
from populatie.dossiers.controllers import XLSX
from tests.integration.api_support import CONTRACT_OF, KRACHT, RONDOMJOU, World, build_world
from tests.integration.web_support import sign_in

OWN = CONTRACT_OF[KRACHT]
OTHER = CONTRACT_OF[RONDOMJOU]


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, spending=True)


def _get(client: TestClient[Any], world: World, caller: str | None, path: str) -> Any:
    return client.get(path, headers=world.headers(caller))


@pytest.mark.parametrize("caller", ["finance", "kracht"])
def test_the_dossier_adds_up_what_the_reconciliation_and_kpi_routes_show(
    world: World, caller: str
) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        response = _get(client, world, caller, f"/api/contract-dossiers/{OWN}?milestone=2025")
        assert response.status_code == 200, response.text
        dossier = response.json()
        assert dossier["milestone"]["year"] == 2025
        assert dossier["milestone"]["kind"] == "go-no-go"
        assert [y["year"] for y in dossier["years"]] == [2024, 2025]
        reconciliation = _get(client, world, caller, "/api/reconciliation?year=2025").json()
        overview = _get(client, world, caller, f"/api/kpis/?partnership={KRACHT}").json()
        contract = _get(client, world, caller, f"/api/contracts/{OWN}").json()

    lines = [line for line in reconciliation["lines"] if line["contract"] == OWN]
    domain_lines = [line for line in lines if line["domain"] != "total"]
    assert domain_lines, "the world books spending on the contract"
    year = dossier["years"][1]
    assert year["to"] == reconciliation["to"]
    assert year["spent_cents"] == sum(line["spent_cents"] for line in domain_lines)
    assert year["forecast_cents"] == sum(line["forecast_cents"] for line in domain_lines)
    ceiling = next(line["ceiling_cents"] for line in lines if line["domain"] == "total")
    assert year["ceiling_cents"] == ceiling
    assert ceiling == contract["ceilings_cents"]["2025"]  # agreed for 2025, not indexed
    assert year["remaining_cents"] == ceiling - year["spent_cents"]
    over = year["spent_cents"] > ceiling
    assert (year["status"] == "over ceiling") == over
    assert dossier["years"][0]["spent_cents"] == 0  # no spending in 2024 in this world

    about = [
        e for e in reconciliation["exceptions"] if e["subject"].split(" · ")[0] == f"contract {OWN}"
    ]
    listed = {(e["kind"], e["subject"]) for e in dossier["exceptions"] if e["year"] == 2025}
    assert {(e["kind"], e["subject"]) for e in about} <= listed
    assert dossier["summary"]["open_exceptions"] == len(dossier["exceptions"])

    expected = {}
    for series in overview["series"]:
        points = [p for p in series["points"] if int(p["period"][:4]) <= 2025]
        if series["partnership"] == KRACHT and points:
            expected[(series["segment"], series["kpi"], series["category"])] = points[-1]
    got = {(k["segment"], k["kpi"], k["category"]): k for k in dossier["kpis"]}
    assert expected, "the world has KPI figures of the partnership"
    assert got.keys() == expected.keys()
    for key, point in expected.items():
        k = got[key]
        assert (k["period"], k["value"], k["norm"], k["outside_norm"], k["suppressed"]) == (
            point["period"],
            point["value"],
            point["norm"],
            point["outside_norm"],
            point["suppressed"],
        )
    assert dossier["summary"]["kpis_outside_norm"] == sum(
        p["outside_norm"] is True for p in expected.values()
    )
    assert dossier["segments"] == sorted({s for s, _, _ in expected})
    assert "no segment" in dossier["segment_basis"]
    assert dossier["suppressed_below"] == (10 if caller == "kracht" else None)


def test_each_role_reads_the_dossier_a_consortium_only_its_own(world: World) -> None:
    path = "/api/contract-dossiers/{}?milestone=2027"
    with TestClient(app=create_app(world.engine)) as client:
        for caller in ("finance", "planner", "auditor"):
            for reference in (OWN, OTHER):
                assert _get(client, world, caller, path.format(reference)).status_code == 200
        assert _get(client, world, "kracht", path.format(OWN)).status_code == 200
        assert _get(client, world, "kracht", path.format(OTHER)).status_code == 404
        assert _get(client, world, "rondomjou", path.format(OWN)).status_code == 404
        assert _get(client, world, None, path.format(OWN)).status_code == 401
        # a year with no milestone of the contract, and a contract that does not exist
        no_milestone = _get(
            client, world, "finance", f"/api/contract-dossiers/{OWN}?milestone=2026"
        )
        assert no_milestone.status_code == 404
        assert "2025, 2027" in no_milestone.json()["detail"]
        assert _get(client, world, "finance", "/api/contract-dossiers/NOPE").status_code == 404
        files = f"/api/contract-dossier-files/{OTHER}"
        assert _get(client, world, "kracht", files).status_code == 404
        assert _get(client, world, "auditor", files).status_code == 200


def test_the_dossier_as_one_dutch_workbook_and_page(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        dossier = _get(client, world, "finance", f"/api/contract-dossiers/{OWN}?milestone=2025")
        years = dossier.json()["years"]
        xlsx = _get(client, world, "finance", f"/api/contract-dossier-files/{OWN}?milestone=2025")
        assert xlsx.status_code == 200
        assert "go-no-go-dossier" in xlsx.headers["content-disposition"]
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book.sheetnames == ["Dossier", "Plafond per jaar", "KPI's", "Signaleringen"]
        rows = list(book["Plafond per jaar"].iter_rows(min_row=2, values_only=True))
        assert [(r[0], round(r[3] * 100)) for r in rows] == [
            (y["year"], y["spent_cents"]) for y in years
        ]
        assert book["Dossier"]["B2"].value == OWN
        sign_in(client, world.tokens["auditor"])
        page = client.get(f"/dossier?contract={OWN}&milestone=2025")
        assert page.status_code == 200
        assert "Go/no-go-dossier" in page.text
        assert "Besteding tegen het plafond" in page.text
        assert 'href="/static/print.css"' in page.text
        printable = client.get(f"/dossier.html?contract={OWN}&milestone=2025")
        assert printable.status_code == 200
        assert "@media print" in printable.text
        assert printable.headers["content-disposition"] == (
            'attachment; filename="go-no-go-dossier-DEMO-H10-GM0518-P1-2025.html"'
        )
        assert "content-disposition" not in page.headers
        workbook = client.get(f"/dossier.xlsx?contract={OWN}&milestone=2025")
        assert workbook.status_code == 200
        assert workbook.headers["content-type"].startswith(XLSX)
        assert workbook.headers["content-disposition"].endswith('-2025.xlsx"')
        assert load_workbook(io.BytesIO(workbook.content))["Dossier"]["B2"].value == OWN
        other = client.get("/dossier?contract=NOPE")
        assert other.status_code == 404
