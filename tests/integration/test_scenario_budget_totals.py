"""A scenario may change the budget totals, over the API as in a scenario TOML: the run
divides the scenario's totals and keeps them, and the stored totals stay as they were."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from populatie.app import create_app
from tests.integration.api_support import World, build_world

TOTALS = {"prevention_cents": 123_456_789, "access_cents": 200_000_001, "specialist_cents": 7}


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def test_a_scenario_run_divides_its_own_totals(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        planner = world.headers("planner")
        stored = client.get("/api/budgets/2026", headers=planner).json()["items"]
        before = next(t for t in stored if t["municipality"] == "GM0629")
        created = client.post(
            "/api/runs",
            json={
                "year": 2026,
                "municipalities": ["GM0629", "GM0603"],
                "scenario": {
                    "name": "more money",
                    "budget_totals": {"GM0629": TOTALS},
                    "damping": {},  # no bounds: the previous year's cannot hold other totals
                },
            },
            headers=planner,
        )
        assert created.status_code == 201, created.text
        run = created.json()
        expected = {k.removesuffix("_cents"): v for k, v in TOTALS.items()}
        assert run["budget_cents"]["GM0629"] == expected
        for domain, cents in expected.items():
            assert (
                sum(a["domains"][domain] for a in run["areas"] if a["municipality"] == "GM0629")
                == cents
            )
        # the municipality the scenario leaves alone divides its stored totals
        rijswijk = next(t for t in stored if t["municipality"] == "GM0603")
        assert run["budget_cents"]["GM0603"]["access"] == rijswijk["access_cents"]
        after = client.get("/api/budgets/2026", headers=planner).json()["items"]
        assert next(t for t in after if t["municipality"] == "GM0629") == before

        # a year without stored totals can be tried with a scenario's
        no_totals = client.post(
            "/api/runs",
            json={"year": 2031, "municipalities": ["GM0629"]},
            headers=planner,
        )
        assert no_totals.status_code == 422
        assert "populatie budgets set" in no_totals.json()["detail"]
        future = client.post(
            "/api/runs",
            json={
                "year": 2031,
                "municipalities": ["GM0629"],
                "scenario": {"budget_totals": {"GM0629": TOTALS}},
            },
            headers=planner,
        )
        assert future.status_code == 201, future.text

        for body, status in (
            ({"budget_totals": {"GM0629": {"prevention_cents": 1}}}, 400),
            ({"budget_totals": {"GM0629": {**TOTALS, "access_cents": -1}}}, 400),
            ({"budget_totals": {"GM0518": TOTALS}}, 422),  # not in this run
            ({"budget_totals": {"Wassenaar": TOTALS}}, 422),
        ):
            refused = client.post(
                "/api/runs",
                json={"year": 2026, "municipalities": ["GM0629"], "scenario": body},
                headers=planner,
            )
            assert refused.status_code == status, (body, refused.text)
