"""Contract milestones shown with each contract: in the API's contract JSON (through the
contracts read, not a column) and on the finance page's list of lots and contracts."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from populatie.app import create_app
from tests.integration.api_support import CONTRACT_OF, KRACHT, World, build_world
from tests.integration.web_support import sign_in


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, spending=True)


def test_each_contract_shows_the_milestones_of_its_period(world: World) -> None:
    finance = world.headers("finance")
    body = {
        "reference": "H10-2027-DH-P2",
        "lot": "GM0518/2",
        "starts_on": "2027-01-01",
        "ends_on": "2030-12-31",
        "extendable_to": "2034-12-31",
        "funding_form": "population-based",
        "reason": "award of lot 2, second round",
    }
    with TestClient(app=create_app(world.engine)) as client:
        demo = client.get(f"/api/contracts/{CONTRACT_OF[KRACHT]}", headers=finance).json()
        # the demo contract runs 2024-2026, its options to 2028
        assert [(m["kind"], m["year"]) for m in demo["milestones"]] == [
            ("go-no-go", 2025),
            ("go-no-go", 2027),
        ]
        assert demo["milestones"][0]["source"] == "004_7218586dde59d853"
        assert demo["milestones"][0]["name_nl"] == "Go/no-go-moment 2025"
        made = client.post("/api/contracts", json=body, headers=finance)
        assert made.status_code == 201, made.text
        assert [(m["kind"], m["year"], m["extends_to"]) for m in made.json()["milestones"]] == [
            ("go-no-go", 2027, None),
            ("extension-option", 2030, 2034),
        ]
        # the milestones are the procurement's, not the contract's state: no trace in history
        history = client.get(f"/api/contract-history/{body['reference']}", headers=finance)
        assert "milestones" not in history.json()["items"][0]["state"]
        listed = client.get("/api/contracts", headers=world.headers("kracht")).json()
        # a contract of before the contracts of 2023 (the expired demo one) has none
        assert {c["reference"]: bool(c["milestones"]) for c in listed["items"]} == {
            c["reference"]: c["starts_on"] >= "2023-01-01" for c in listed["items"]
        }
        assert any(not c["milestones"] for c in listed["items"])


def test_the_finance_page_names_the_milestones_with_each_contract(world: World) -> None:
    with TestClient(create_app(world.engine), base_url="http://populatie.test") as client:
        sign_in(client, world.tokens["finance"])
        html = client.get("/finance?year=2025").text
    row = next(r for r in html.split("<tr>") if f"<td>{CONTRACT_OF[KRACHT]}" in r)
    assert "Go/no-go-moment 2025 · Go/no-go-moment 2027" in row
