"""Tariffs over HTTP: finance sets them (each a version, audited); a consortium reads only its
own contracts' tariffs, and is told another's contract does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from populatie.app import create_app
from tests.integration.api_support import World, build_world

CONTRACT: dict[str, Any] = {
    "reference": "H10-2027-DH-P2-PQ",
    "lot": "GM0518/2",
    "starts_on": "2027-01-01",
    "ends_on": "2028-12-31",
    "funding_form": "effort-based",
    "segment": "SPEC-VEELVOORKOMEND",
    "product_codes": ["45A12"],
    "municipalities": ["GM0518", "GM0503"],
    "indexation_basis_points": 250,
}
TARIFF = {
    "product_code": "45A12",
    "year": 2027,
    "unit": "hour",
    "tariff_cents": 85_33,
    "reason": "award",
}


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def test_finance_sets_tariffs_and_a_consortium_reads_only_its_own(world: World) -> None:
    finance = world.headers("finance")
    path = f"/api/contract-tariffs/{CONTRACT['reference']}"
    with TestClient(app=create_app(world.engine)) as client:
        created = client.post("/api/contracts", json=CONTRACT, headers=finance)
        assert created.status_code == 201, created.text
        assert created.json()["municipalities"] == ["GM0503", "GM0518"]
        assert created.json()["segment"] == "SPEC-VEELVOORKOMEND"
        first = client.post(path, json=TARIFF, headers=finance)
        assert first.status_code == 201, first.text
        assert (first.json()["version"], first.json()["tariff_cents"]) == (1, 85_33)
        second = client.post(path, json={**TARIFF, "tariff_cents": 86_00}, headers=finance)
        assert second.json()["version"] == 2
        again = client.post(path, json={**TARIFF, "tariff_cents": 86_00}, headers=finance)
        assert again.status_code == 422
        off = client.post(path, json={**TARIFF, "product_code": "45B01"}, headers=finance)
        assert off.status_code == 422
        assert "not one of the contract's products" in off.text

        own = client.get(path, headers=world.headers("rondomjou"))
        assert own.status_code == 200
        assert [(t["tariff_cents"], t["version"]) for t in own.json()["items"]] == [(86_00, 2)]
        every = client.get(path, params={"history": True}, headers=world.headers("auditor"))
        assert [t["reason"] for t in every.json()["items"]] == ["award", "award"]
        assert client.get(path, headers=world.headers("kracht")).status_code == 404
        assert client.post(path, json=TARIFF, headers=world.headers("kracht")).status_code == 404
        assert client.post(path, json=TARIFF, headers=world.headers("planner")).status_code == 403
        audit = client.get(
            "/api/audit", params={"action": "contract.tariff"}, headers=world.headers("auditor")
        )
        assert audit.status_code == 200, audit.text
        details = [e["detail"] for e in audit.json()["items"]]
        assert sorted((d["tariff_cents"], d["before_cents"]) for d in details) == [
            (85_33, None),
            (86_00, 85_33),
        ]
