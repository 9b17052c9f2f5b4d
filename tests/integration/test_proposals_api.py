"""Adoption with four eyes over the API: a planner proposes, another person in finance decides.

The rule compares who holds the token, not the role: finance may propose too, and the finance
token that proposed a run is refused its approval (403, ``four-eyes``) as a planner would be.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, select
from sqlmodel import col

from populatie.app import create_app
from populatie.auth.tokens import issue_token
from populatie.db import session_scope
from populatie.proposals.models import RunProposalEvent
from tests.integration.api_support import KRACHT, World, build_world

FOUR_EYES = "https://populatie.example/problems/four-eyes"


@pytest.fixture
def world(engine: Engine) -> World:
    world = build_world(engine)
    with session_scope(engine) as session:
        second = issue_token(session, "finance", None, "second finance", "test").token
    return World(
        engine=world.engine,
        tokens={**world.tokens, "finance2": second},
        adopted_2025=world.adopted_2025,
        draft_2026=world.draft_2026,
    )


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(world.engine)) as client:
        yield client


def _post(client: TestClient[Litestar], world: World, path: str, who: str, body: Any = None) -> Any:
    return client.post(path, json=body, headers=world.headers(who))


def _new_run(client: TestClient[Litestar], world: World, municipality: str = "GM0629") -> str:
    created = _post(
        client, world, "/api/runs", "planner", {"year": 2026, "municipalities": [municipality]}
    )
    assert created.status_code == 201, created.text
    run_id: str = created.json()["run_id"]
    return run_id


def _status(client: TestClient[Litestar], world: World, run_id: str) -> str:
    got = client.get(f"/api/runs/{run_id}", headers=world.headers("auditor"))
    assert got.status_code == 200, got.text
    status: str = got.json()["status"]
    return status


def _actions(client: TestClient[Litestar], world: World, run_id: str) -> list[str]:
    events = client.get(
        "/api/audit", params={"limit": 1000}, headers=world.headers("auditor")
    ).json()["items"]
    return [e["action"] for e in reversed(events) if e["target"] == f"run:{run_id}"]


def test_a_planner_proposes_and_finance_approves_which_adopts(
    client: TestClient[Litestar], world: World
) -> None:
    run_id = _new_run(client, world)
    proposed = _post(
        client,
        world,
        f"/api/runs/{run_id}/proposal",
        "planner",
        {"note": "more weight on youth care"},
    )
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["state"] == "proposed"
    assert proposed.json()["proposed_by"].endswith("(planner)")
    # proposing adopts nothing
    assert _status(client, world, run_id) == "draft"
    waiting = client.get(
        "/api/proposals", params={"state": "proposed"}, headers=world.headers("auditor")
    ).json()
    assert [p["run_id"] for p in waiting["items"]] == [run_id]

    # the planner's role may not approve at all
    assert _post(client, world, f"/api/runs/{run_id}/approval", "planner").status_code == 403
    approved = _post(client, world, f"/api/runs/{run_id}/approval", "finance", {"note": "ok"})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["state"] == "approved"
    assert body["run_status"] == "adopted"
    assert body["decided_by"].endswith("(finance)")
    assert [s["step"] for s in body["history"]] == ["proposed", "approved"]
    assert [s["text"] for s in body["history"]] == ["more weight on youth care", "ok"]
    assert _status(client, world, run_id) == "adopted"
    # the run it replaced for Wassenaar is superseded there only
    assert _status(client, world, world.draft_2026) == "draft"
    assert _actions(client, world, run_id) == [
        "run.create",
        "run.propose",
        "run.approve",
        "run.adopt",
    ]
    # decided is decided
    again = _post(client, world, f"/api/runs/{run_id}/approval", "finance2")
    assert again.status_code == 409, again.text
    assert (
        _post(
            client, world, f"/api/runs/{run_id}/rejection", "finance2", {"reason": "too late"}
        ).status_code
        == 409
    )


def test_the_proposer_cannot_decide_even_when_the_token_holds_both_rights(
    client: TestClient[Litestar], world: World
) -> None:
    run_id = _new_run(client, world)
    # finance may propose (it holds every right) ...
    proposed = _post(client, world, f"/api/runs/{run_id}/proposal", "finance", {"note": "mine"})
    assert proposed.status_code == 201, proposed.text
    # ... but not approve or reject its own proposal
    for path, body in (("approval", None), ("rejection", {"reason": "no"}), ("adopt", None)):
        refused = _post(client, world, f"/api/runs/{run_id}/{path}", "finance", body)
        assert refused.status_code == 403, (path, refused.text)
        problem = refused.json()
        assert problem["type"] == FOUR_EYES
        assert "four eyes" in problem["detail"]
        assert "een ander moet" in problem["detail"]
    assert _status(client, world, run_id) == "draft"
    assert (
        client.get(f"/api/runs/{run_id}/proposal", headers=world.headers("auditor")).json()["state"]
        == "proposed"
    )
    # another finance token may
    approved = _post(client, world, f"/api/runs/{run_id}/approval", "finance2")
    assert approved.status_code == 200, approved.text
    assert _status(client, world, run_id) == "adopted"


def test_a_rejection_needs_a_reason_and_a_rejected_run_may_be_proposed_again(
    client: TestClient[Litestar], world: World
) -> None:
    run_id = _new_run(client, world)
    assert (
        _post(
            client, world, f"/api/runs/{run_id}/proposal", "planner", {"note": "first try"}
        ).status_code
        == 201
    )
    for body in (None, {}, {"reason": ""}, {"reason": "   "}):
        refused = _post(client, world, f"/api/runs/{run_id}/rejection", "finance", body)
        assert refused.status_code == 400, (body, refused.text)
    rejected = _post(
        client,
        world,
        f"/api/runs/{run_id}/rejection",
        "finance",
        {"reason": "base amounts not agreed"},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["reason"] == "base amounts not agreed"
    assert _status(client, world, run_id) == "draft"
    # a rejected proposal is not approved afterwards ...
    assert _post(client, world, f"/api/runs/{run_id}/approval", "finance2").status_code == 409
    # ... but the run may be proposed again, as a new round
    again = _post(client, world, f"/api/runs/{run_id}/proposal", "planner", {"note": "agreed now"})
    assert again.status_code == 201, again.text
    assert again.json()["round"] == 2
    assert again.json()["reason"] == ""
    steps = [(s["round"], s["step"]) for s in again.json()["history"]]
    assert steps == [(1, "proposed"), (1, "rejected"), (2, "proposed")]
    assert _actions(client, world, run_id)[-3:] == ["run.propose", "run.reject", "run.propose"]


def test_what_is_not_proposed_or_proposed_already_is_a_conflict(
    client: TestClient[Litestar], world: World
) -> None:
    run_id = _new_run(client, world)
    for path in ("approval", "adopt"):
        refused = _post(client, world, f"/api/runs/{run_id}/{path}", "finance")
        assert refused.status_code == 409, (path, refused.text)
        assert "propose" in refused.json()["detail"]
    assert (
        _post(
            client, world, f"/api/runs/{run_id}/rejection", "finance", {"reason": "x"}
        ).status_code
        == 409
    )
    for body in (None, {"note": ""}, {"note": " \t"}):
        assert (
            _post(client, world, f"/api/runs/{run_id}/proposal", "planner", body).status_code == 400
        )
    assert (
        _post(client, world, f"/api/runs/{run_id}/proposal", "planner", {"note": "n"}).status_code
        == 201
    )
    twice = _post(client, world, f"/api/runs/{run_id}/proposal", "finance", {"note": "n"})
    assert twice.status_code == 409, twice.text
    # an adopted run has nothing to propose
    adopted = _post(
        client, world, f"/api/runs/{world.adopted_2025}/proposal", "planner", {"note": "n"}
    )
    assert adopted.status_code == 409, adopted.text
    assert (
        _post(client, world, "/api/runs/nope/proposal", "planner", {"note": "n"}).status_code == 404
    )
    assert _post(client, world, "/api/runs/nope/approval", "finance").status_code == 404
    with session_scope(world.engine) as session:
        steps = session.execute(
            select(col(RunProposalEvent.step)).where(col(RunProposalEvent.run_id) == run_id)
        ).scalars()
        assert list(steps) == ["proposed"]  # nothing refused left a trace


def test_the_adopt_route_approves_a_proposal_by_another(
    client: TestClient[Litestar], world: World
) -> None:
    run_id = _new_run(client, world)
    assert (
        _post(client, world, f"/api/runs/{run_id}/proposal", "planner", {"note": "n"}).status_code
        == 201
    )
    adopted = _post(client, world, f"/api/runs/{run_id}/adopt", "finance")
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["status"] == "adopted"
    proposal = client.get(f"/api/runs/{run_id}/proposal", headers=world.headers("planner"))
    assert proposal.json()["state"] == "approved"


def test_a_consortium_sees_only_adopted_runs_and_no_proposal(
    client: TestClient[Litestar], world: World
) -> None:
    run_id = _new_run(client, world, "GM0518")
    assert (
        _post(client, world, f"/api/runs/{run_id}/proposal", "planner", {"note": "n"}).status_code
        == 201
    )

    def sees() -> dict[str, Any]:
        budgets = client.get("/api/budgets", params={"year": 2026}, headers=world.headers("kracht"))
        assert budgets.status_code == 200, budgets.text
        csv = client.get(
            "/api/exports/budgets.csv", params={"year": 2026}, headers=world.headers("kracht")
        )
        area = client.get(
            "/api/areas/GM0518-L1/budget", params={"year": 2026}, headers=world.headers("kracht")
        )
        return {
            "runs": {i["run_id"] for i in budgets.json()["items"]},
            "csv": csv.text if csv.status_code == 200 else csv.status_code,
            "area": area.status_code,
        }

    before = sees()
    # neither the draft of 2026 nor the proposed run: nothing for 2026 is adopted yet
    assert before["runs"] == set()
    assert run_id not in str(before["csv"])
    assert world.draft_2026 not in str(before["csv"])
    assert before["area"] == 404
    for path in (
        "/api/runs",
        f"/api/runs/{run_id}",
        f"/api/runs/{run_id}/proposal",
        "/api/proposals",
    ):
        assert client.get(path, headers=world.headers("kracht")).status_code == 404, path
    for path, body in (
        ("proposal", {"note": "n"}),
        ("approval", None),
        ("rejection", {"reason": "r"}),
    ):
        response = _post(client, world, f"/api/runs/{run_id}/{path}", "kracht", body)
        assert response.status_code == 404, (path, response.text)

    assert _post(client, world, f"/api/runs/{run_id}/approval", "finance").status_code == 200
    after = sees()
    assert after["runs"] == {run_id}
    assert run_id in str(after["csv"])
    assert after["area"] == 200
    assert KRACHT  # the token above is Kracht's: its own areas only (api_support)
