"""The resources through the real app: shapes, pagination, scenarios, problems."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from populatie.allocations import service
from populatie.app import create_app
from populatie.auth.access import PrincipalResolver
from populatie.auth.tokens import list_tokens, revoke_token
from populatie.configuration import DOMAINS
from populatie.db import session_scope
from tests.integration.api_support import KRACHT, REGIONAL, RONDOMJOU, World, build_world, propose

PROBLEMS = "https://populatie.example/problems/"


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(app=create_app(world.engine)) as c:
        c.headers.update(world.headers("finance"))
        yield c


def test_the_run_json_is_the_stable_cli_json(world: World, client: TestClient) -> None:
    body = client.get(f"/api/runs/{world.adopted_2025}").json()
    with Session(world.engine) as session:
        stable = json.loads(json.dumps(service.run_report(session, world.adopted_2025).as_json()))
    assert body == stable
    assert list(body) == ["run_id", "year", "status", "areas", "budget_cents"]
    assert list(body["areas"][0]) == [
        "code",
        "area",
        "municipality",
        "partnership",
        "domains",
        "total_cents",
        "young_population",
        "young_population_derived",
        "damped",
    ]
    assert body["status"] == "adopted"


def test_runs_list_pages_and_compares(world: World, client: TestClient) -> None:
    page = client.get("/api/runs", params={"limit": 1}).json()
    assert page["total"] == 2
    assert len(page["items"]) == 1
    second = client.get("/api/runs", params={"limit": 1, "offset": 1}).json()
    assert {page["items"][0]["run_id"], second["items"][0]["run_id"]} == {
        world.adopted_2025,
        world.draft_2026,
    }
    by_year = client.get("/api/runs", params={"year": 2026}).json()
    assert [(r["run_id"], r["status"]) for r in by_year["items"]] == [(world.draft_2026, "draft")]

    comparison = client.get(f"/api/runs/{world.adopted_2025}/compare/{world.draft_2026}").json()
    base = {a["code"]: a for a in client.get(f"/api/runs/{world.adopted_2025}").json()["areas"]}
    other = {a["code"]: a for a in client.get(f"/api/runs/{world.draft_2026}").json()["areas"]}
    assert [a["code"] for a in comparison["areas"]] == sorted(base)
    for area in comparison["areas"]:
        code = area["code"]
        for d in DOMAINS:
            assert area["change_cents"][d] == other[code]["domains"][d] - base[code]["domains"][d]
        assert area["total_change_cents"] == other[code]["total_cents"] - base[code]["total_cents"]
    missing = client.get(f"/api/runs/{world.adopted_2025}/compare/nope")
    assert missing.status_code == 404


def test_a_scenario_run_with_overrides(world: World, client: TestClient) -> None:
    plain = client.post("/api/runs", json={"year": 2026, "municipalities": ["GM0518"]})
    assert plain.status_code == 201, plain.text
    scenario = {
        "name": "more prevention weight on youth care",
        "rates": {"gm0518": {"prevention": {"youth_care_users": 5000.0}}},
        "base_cents": {"access": 100_000_00},
        "damping": {"max_change_pct": None, "max_change_per_young_eur": None},
    }
    response = client.post(
        "/api/runs",
        json={"year": 2026, "municipalities": ["GM0518"], "scenario": scenario},
        headers=world.headers("planner"),
    )
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "draft"
    assert [a["code"] for a in run["areas"]] == [f"GM0518-L{i}" for i in range(1, 5)]
    budget = run["budget_cents"]["GM0518"]
    for d in DOMAINS:  # the total of every domain is kept to the cent
        assert sum(a["domains"][d] for a in run["areas"]) == budget[d]
    assert run["areas"] != plain.json()["areas"]
    summary = client.get("/api/runs", params={"year": 2026, "limit": 1}).json()["items"][0]
    assert summary["scenario"] == "more prevention weight on youth care"
    assert summary["created_by"].startswith("token:")
    assert summary["created_by"].endswith("(planner)")


INVALID_RUNS: list[tuple[dict[str, object], int, str, str | None]] = [
    ({"year": "next"}, 400, "validation-error", "year"),
    ({"municipalities": ["GM0518"]}, 400, "validation-error", "year"),
    (
        {"year": 2026, "scenario": {"damping": {"max_pct": 1}}},
        400,
        "validation-error",
        "scenario.damping.max_pct",
    ),
    ({"year": 2026, "color": "red"}, 400, "validation-error", "color"),
    ({"year": 2026, "municipalities": ["0518"]}, 400, "validation-error", "municipalities"),
    (
        {"year": 2026, "scenario": {"rates": {"gm0518": {"prevention": {"x": -1}}}}},
        400,
        "validation-error",
        "scenario.rates",
    ),
    (
        {"year": 2026, "scenario": {"rates": {"nosuchmodel": {"access": {"x": 1}}}}},
        422,
        "configuration-error",
        "scenario.rates.nosuchmodel",
    ),
    ({"year": 1999}, 422, "configuration-error", None),
    ({"year": 2026, "municipalities": ["GM9999"]}, 422, "configuration-error", None),
]


def test_invalid_runs_are_problems_naming_the_field(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    for body, status, kind, field in INVALID_RUNS:
        with subtests.test(body=body):
            response = client.post("/api/runs", json=body)
            assert response.status_code == status, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["type"] == PROBLEMS + kind
            assert problem["status"] == status
            if field is not None:
                assert any(str(e["field"]).startswith(field) for e in problem["errors"]), problem
                assert field in problem["detail"]
    assert client.get("/api/runs").json()["total"] == 2  # none of them stored anything


def test_area_budget_follows_adoption(world: World, client: TestClient) -> None:
    budget = client.get("/api/areas/GM0518-L1/budget").json()
    run = client.get(f"/api/runs/{world.adopted_2025}").json()
    area = next(a for a in run["areas"] if a["code"] == "GM0518-L1")
    assert budget["domains"] == area["domains"]
    assert budget["total_cents"] == area["total_cents"] == sum(budget["domains"].values())
    assert (budget["year"], budget["municipality"], budget["partnership"]) == (
        2025,
        "GM0518",
        KRACHT,
    )
    not_yet = client.get("/api/areas/GM0518-L1/budget", params={"year": 2026})
    assert not_yet.status_code == 404
    assert not_yet.json()["type"] == PROBLEMS + "not-found"
    propose(world.engine, world.draft_2026)
    adopted = client.post(f"/api/runs/{world.draft_2026}/adopt")
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["status"] == "adopted"
    newest = client.get("/api/areas/GM0518-L1/budget").json()
    assert (newest["year"], newest["run_id"]) == (2026, world.draft_2026)
    older = client.get("/api/areas/GM0518-L1/budget", params={"year": 2025}).json()
    assert older["run_id"] == world.adopted_2025
    assert client.get("/api/budgets", params={"year": 2026}).json()["total"] == 13


def test_registry_resources(client: TestClient) -> None:
    municipalities = client.get("/api/municipalities").json()
    assert municipalities["total"] == 10
    den_haag = client.get("/api/municipalities/GM0518").json()
    assert den_haag["areas"] == [f"GM0518-L{i}" for i in range(1, 5)]
    areas = client.get("/api/areas", params={"limit": 5}).json()
    assert areas["total"] == 13
    assert len(areas["items"]) == 5
    area = client.get("/api/areas/GM0518-L2").json()
    assert {k: area[k] for k in ("code", "municipality", "partnership")} == {
        "code": "GM0518-L2",
        "municipality": "GM0518",
        "partnership": RONDOMJOU,
    }
    assert len(area["districts"]) == 11
    partnerships = client.get("/api/partnerships").json()
    assert [p["name"] for p in partnerships["items"]] == [REGIONAL, KRACHT, RONDOMJOU]
    assert client.get(f"/api/partnerships/{KRACHT}").json()["areas"] == ["GM0518-L1", "GM0518-L3"]
    lots = client.get("/api/lots", params={"municipality": "GM0518"}).json()
    assert [lot["number"] for lot in lots["items"]] == [1, 2, 3, 4]


def test_districts_as_json_and_geojson(client: TestClient) -> None:
    districts = client.get("/api/districts", params={"limit": 1000}).json()
    assert districts["total"] == len(districts["items"]) == 123
    delft = client.get("/api/districts", params={"municipality": "GM0503"}).json()
    assert {d["municipality"] for d in delft["items"]} == {"GM0503"}
    assert {d["area"] for d in delft["items"]} == {"GM0503-A"}
    one = client.get("/api/districts/WK051801").json()
    assert (one["municipality"], one["area"]) == ("GM0518", "GM0518-L1")

    response = client.get("/api/districts/geojson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    shaped = {d["code"]: d for d in districts["items"] if d["shape_vintage"] is not None}
    assert sorted(f["id"] for f in collection["features"]) == sorted(shaped)
    for feature in collection["features"]:
        assert feature["properties"]["shape_vintage"] == shaped[feature["id"]]["shape_vintage"]
        ring = feature["geometry"]["coordinates"][0]
        ring = ring[0] if feature["geometry"]["type"] == "MultiPolygon" else ring
        for lon, lat in ring:  # WGS84 degrees around Haaglanden, not RD metres
            assert 3.9 < lon < 4.7
            assert 51.8 < lat < 52.3


def test_problems_for_tokens_routes_and_methods(world: World) -> None:
    app = create_app(world.engine)
    with TestClient(app=app) as client:
        assert client.get("/api/health").json()["status"] == "ok"
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
            response = client.get("/api/areas", headers=headers)
            assert response.status_code == 401
            assert response.json()["type"] == PROBLEMS + "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"
        finance = world.headers("finance")
        assert client.get("/api/nothing-here", headers=finance).json()["type"] == (
            PROBLEMS + "not-found"
        )
        wrong = client.delete("/api/areas", headers=finance)
        assert wrong.status_code == 405
        assert wrong.json()["type"] == PROBLEMS + "method-not-allowed"
        bad = client.get("/api/areas", params={"limit": 0}, headers=finance)
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["field"] == "limit"


def test_a_revoked_token_stops_working_once_it_is_looked_up_again(world: World) -> None:
    """Served from what was kept only while the one look-up after the revocation runs, then
    refused for good; the test waits for that look-up, not for the clock."""
    app = create_app(world.engine)
    resolver = PrincipalResolver(world.engine, ttl=0)
    app.state.principals = resolver
    auditor = world.headers("auditor")

    async def scenario() -> tuple[int, int, list[int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            before = (await client.get("/api/areas", headers=auditor)).status_code
            with session_scope(world.engine) as session:
                token_id = next(
                    int(t.id or 0) for t in list_tokens(session) if t.label == "auditor"
                )
                revoke_token(session, token_id, "test")
            kept = (await client.get("/api/areas", headers=auditor)).status_code
            await resolver.settled()  # the look-up that the kept answer started
            after = [(await client.get("/api/areas", headers=auditor)).status_code]
            after += [(await client.get("/api/areas", headers=auditor)).status_code]
            return before, kept, after

    before, kept, after = asyncio.run(scenario())
    assert (before, kept) == (200, 200)
    assert after == [401, 401]


def test_budget_reads_are_kept_briefly_and_renewed_by_an_adoption(world: World) -> None:
    app = create_app(world.engine)
    app.state.budget_reader.ttl = 60.0  # long enough to see the kept answer
    consortium = world.headers("rondomjou")
    with TestClient(app=app) as client:
        first = client.get("/api/areas/GM0518-L2/budget", headers=consortium).json()
        assert first["year"] == 2025
        # adopted elsewhere (the CLI): this process shows it once the kept answer expires
        propose(world.engine, world.draft_2026)
        with session_scope(world.engine) as session:
            service.adopt(session, world.draft_2026, "cli")
        kept = client.get("/api/areas/GM0518-L2/budget", headers=consortium).json()
        assert kept == first
        # adopted through the API: every answer is renewed once the adoption is committed
        adopted = client.post(
            f"/api/runs/{world.draft_2026}/adopt", headers=world.headers("finance")
        )
        assert adopted.status_code == 200
        renewed = client.get("/api/areas/GM0518-L2/budget", headers=consortium).json()
        assert (renewed["year"], renewed["run_id"]) == (2026, world.draft_2026)
