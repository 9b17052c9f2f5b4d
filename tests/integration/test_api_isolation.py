"""Consortium isolation on the data of the two Den Haag partnerships.

Kracht voor Jeugd en Gezin holds GM0518-L1 and L3, RondomJou L2 and L4. Each consortium token
sees its own and nothing else: another partnership's area is 404 exactly like a code that does
not exist, and no answer it can get mentions the other partnership at all.
"""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from populatie.app import create_app
from populatie.auth.access import policy_of
from populatie.auth.tokens import Role
from tests.integration.api_support import (
    AREAS_OF,
    KRACHT,
    RONDOMJOU,
    World,
    build_world,
    concrete,
    endpoints,
    examples,
)

PAIRS = [("kracht", KRACHT, RONDOMJOU), ("rondomjou", RONDOMJOU, KRACHT)]


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _codes(items: list[dict[str, object]], key: str = "code") -> list[object]:
    return [item[key] for item in items]


def test_each_consortium_lists_only_its_own(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        for caller, own, other in PAIRS:
            h = world.headers(caller)
            areas = client.get("/api/areas", headers=h).json()
            assert _codes(areas["items"]) == AREAS_OF[own]
            assert areas["total"] == 2
            assert {a["partnership"] for a in areas["items"]} == {own}
            # a filter on the other partnership does not widen the scope
            filtered = client.get("/api/areas", params={"partnership": other}, headers=h).json()
            assert filtered == {"items": [], "total": 0}

            lots = client.get("/api/lots", headers=h).json()
            assert lots["total"] == 2
            assert {lot["partnership"] for lot in lots["items"]} == {own}
            assert sorted(lot["area"] for lot in lots["items"]) == AREAS_OF[own]

            budgets = client.get("/api/budgets", headers=h).json()
            assert sorted(_codes(budgets["items"], "area")) == AREAS_OF[own]
            assert budgets["total"] == 2
            assert {b["partnership"] for b in budgets["items"]} == {own}

            for code in AREAS_OF[own]:
                budget = client.get(f"/api/areas/{code}/budget", headers=h)
                assert budget.status_code == 200, budget.text
                assert budget.json()["year"] == 2025
                assert budget.json()["run_id"] == world.adopted_2025


def test_another_partnerships_records_are_404_like_nothing_at_all(world: World) -> None:
    finance = world.headers("finance")
    with TestClient(app=create_app(world.engine)) as client:
        all_lots = client.get("/api/lots", headers=finance).json()["items"]
        for caller, _own, other in PAIRS:
            h = world.headers(caller)
            for code in [*AREAS_OF[other], "GM0503-A"]:
                for suffix in ["", "/budget", "/budget?year=2025"]:
                    theirs = client.get(f"/api/areas/{code}{suffix}", headers=h)
                    nothing = client.get(f"/api/areas/GM0000-X{suffix}", headers=h)
                    assert theirs.status_code == nothing.status_code == 404, theirs.text
                    a, b = theirs.json(), nothing.json()
                    assert a["detail"].replace(code, "GM0000-X") == b["detail"]
                    assert {k: v for k, v in a.items() if k != "detail"} == {
                        k: v for k, v in b.items() if k != "detail"
                    }
                    # finance does see it (the 404 is the scope, not missing data)
                    if code != "GM0503-A" or suffix == "":
                        seen = client.get(f"/api/areas/{code}{suffix}", headers=finance)
                        assert seen.status_code == 200, seen.text
            for lot in all_lots:
                response = client.get(f"/api/lots/{lot['id']}", headers=h)
                expected = 404 if lot["partnership"] == other else 200
                assert response.status_code == expected, (caller, lot)
            for path in ["/api/runs", "/api/partnerships", "/api/districts", "/api/audit"]:
                assert client.get(path, headers=h).status_code == 404, path


def test_nothing_a_consortium_can_read_mentions_the_other(world: World) -> None:
    """Every route open to a consortium, read as each of the two: no trace of the other."""
    app = create_app(world.engine)
    readable = [
        e
        for e in endpoints(app)
        if e.method == "GET"
        and (policy := policy_of(e.handler)) is not None
        and Role.CONSORTIUM in policy.roles
    ]
    assert len(readable) >= 5
    with TestClient(app=app) as client:
        for caller, own, other in PAIRS:
            values = examples(world, caller)
            for endpoint in readable:
                path, _ = concrete(endpoint, values)
                response = client.get(path, headers=world.headers(caller))
                assert response.status_code == 200, (caller, path, response.text)
                text = response.text
                assert own in text, (caller, path)
                assert other not in text, (caller, path)
                for code in AREAS_OF[other]:
                    assert code not in text, (caller, path, code)
