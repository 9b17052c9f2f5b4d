"""Finance registers and changes contracts over HTTP: versions kept, audited, refused when wrong,
nothing half-written, and a consortium sees a contract only once it is on its own lot."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.app import create_app
from populatie.auth.models import AuditEvent
from populatie.contracts.models import Contract, ContractVersion
from tests.integration.api_support import World, build_world

BODY: dict[str, Any] = {
    "reference": "H10-2027-DH-P2",
    "lot": "GM0518/2",
    "starts_on": "2027-01-01",
    "ends_on": "2028-12-31",
    "extendable_to": "2030-12-31",
    "funding_form": "population-based",
    "ceilings_cents": {"2027": 2_500_000_000},
    "indexation_basis_points": 250,
    "reason": "award of lot 2, second round",
}


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (
            session.execute(select(func.count()).select_from(Contract)).scalar_one(),
            session.execute(select(func.count()).select_from(ContractVersion)).scalar_one(),
            session.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
        )


def test_finance_registers_and_changes_a_contract_with_its_history(world: World) -> None:
    finance = world.headers("finance")
    with TestClient(app=create_app(world.engine)) as client:
        created = client.post("/api/contracts", json=BODY, headers=finance)
        assert created.status_code == 201, created.text
        contract = created.json()
        assert (contract["area"], contract["partnership"], contract["version"]) == (
            "GM0518-L2",
            "RondomJou",
            1,
        )
        assert contract["ceilings_cents"] == {"2027": 2_500_000_000}
        assert client.get(f"/api/contracts/{BODY['reference']}", headers=finance).json() == (
            contract
        )

        changed = client.patch(
            f"/api/contracts/{BODY['reference']}",
            json={
                "ends_on": "2029-12-31",
                "ceilings_cents": {"2029": 2_600_000_000},
                "reason": "first option to extend exercised",
            },
            headers=finance,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["version"] == 2
        assert changed.json()["ends_on"] == "2029-12-31"
        assert changed.json()["ceilings_cents"] == {"2027": 2_500_000_000, "2029": 2_600_000_000}

        history = client.get(
            f"/api/contract-history/{BODY['reference']}", headers=world.headers("auditor")
        ).json()
        assert [v["version"] for v in history["items"]] == [1, 2]
        assert history["items"][0]["reason"] == "award of lot 2, second round"
        second = history["items"][1]
        assert second["reason"] == "first option to extend exercised"
        assert second["changes"]["ends_on"] == ["2028-12-31", "2029-12-31"]
        assert second["changed_by"].endswith("(finance)")

        audit = client.get(
            "/api/audit", params={"action": "contract.change"}, headers=world.headers("auditor")
        ).json()["items"]
        assert [e["target"] for e in audit] == [f"contract/{BODY['reference']}"]
        assert audit[0]["actor"] == second["changed_by"]


def test_a_consortium_sees_the_contract_on_its_own_lot_only(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        assert client.post("/api/contracts", json=BODY, headers=world.headers("finance")).is_success
        path = f"/api/contracts/{BODY['reference']}"
        assert client.get(path, headers=world.headers("rondomjou")).status_code == 200
        assert client.get(path, headers=world.headers("kracht")).status_code == 404
        own = client.get("/api/contracts", headers=world.headers("rondomjou")).json()["items"]
        other = client.get("/api/contracts", headers=world.headers("kracht")).json()["items"]
        assert BODY["reference"] in {c["reference"] for c in own}
        assert BODY["reference"] not in {c["reference"] for c in other}
        # and no one but finance writes: a consortium is told nothing exists, a planner no
        assert (
            client.post("/api/contracts", json=BODY, headers=world.headers("kracht")).status_code
            == 404
        )
        assert (
            client.patch(path, json={"reason": "x"}, headers=world.headers("planner")).status_code
            == 403
        )


@pytest.mark.parametrize(
    ("change", "status", "kind", "named"),
    [
        ({"funding_form": "by-the-hour"}, 400, "validation-error", "funding_form"),
        ({"lot": "lot 2"}, 400, "validation-error", "lot"),
        ({"ceilings_cents": {"2027": -1}}, 400, "validation-error", "ceilings_cents"),
        ({"starts_on": "2029-01-01"}, 422, "data-error", "before it starts"),
        ({"extendable_to": "2028-06-30"}, 422, "data-error", "options to extend"),
        ({"lot": "GM0518/9"}, 404, "not-found", "lot GM0518/9"),
        ({"partnership": "Nobody"}, 404, "not-found", "Nobody"),
        ({"unknown_field": 1}, 400, "validation-error", "unknown_field"),
    ],
)
def test_a_wrong_registration_is_refused_naming_what_is_wrong_and_writes_nothing(
    world: World, change: dict[str, Any], status: int, kind: str, named: str
) -> None:
    before = _counts(world.engine)
    with TestClient(app=create_app(world.engine)) as client:
        response = client.post(
            "/api/contracts", json={**BODY, **change}, headers=world.headers("finance")
        )
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["type"].endswith(f"/{kind}")
    assert named in response.text
    assert _counts(world.engine) == before


def test_clashes_are_conflicts_and_a_change_must_change_something(world: World) -> None:
    finance = world.headers("finance")
    with TestClient(app=create_app(world.engine)) as client:
        assert client.post("/api/contracts", json=BODY, headers=finance).status_code == 201
        before = _counts(world.engine)
        again = client.post("/api/contracts", json=BODY, headers=finance)
        assert (again.status_code, again.json()["type"].split("/")[-1]) == (409, "conflict")
        overlap = client.post(
            "/api/contracts", json={**BODY, "reference": "OTHER-1"}, headers=finance
        )
        assert overlap.status_code == 409
        assert BODY["reference"] in overlap.json()["detail"]
        path = f"/api/contracts/{BODY['reference']}"
        same = client.patch(path, json={"ends_on": BODY["ends_on"], "reason": "x"}, headers=finance)
        assert same.status_code == 422
        assert "changes nothing" in same.json()["detail"]
        no_reason = client.patch(path, json={"ends_on": "2029-12-31"}, headers=finance)
        assert no_reason.status_code == 400
        assert no_reason.json()["errors"][0]["field"] == "reason"
        missing = client.patch("/api/contracts/NO-SUCH", json={"reason": "x"}, headers=finance)
        assert missing.status_code == 404
        assert _counts(world.engine) == before


async def _register_at_once(world: World, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=create_app(world.engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return list(
            await asyncio.gather(
                *(
                    client.post("/api/contracts", json=body, headers=world.headers("finance"))
                    for body in bodies
                )
            )
        )


@pytest.mark.parametrize("same_reference", [True, False], ids=["same-reference", "same-lot"])
def test_registrations_that_race_leave_one_contract(world: World, same_reference: bool) -> None:
    bodies = [
        {**BODY, "reference": BODY["reference"] if same_reference else f"RACE-{i}"}
        for i in range(4)
    ]
    responses = asyncio.run(_register_at_once(world, bodies))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    with Session(world.engine) as session:
        on_lot = session.execute(
            select(func.count())
            .select_from(Contract)
            .where(col(Contract.starts_on) >= date(2027, 1, 1))
        ).scalar_one()
    assert on_lot == 1
