"""Every write is in the audit log — who, what, when — in the same transaction as the write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from populatie.allocations.models import Adoption
from populatie.app import create_app
from populatie.proposals import service as proposals
from tests.integration.api_support import World, build_world, propose


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _events(client: TestClient, world: World, **params: object) -> list[dict[str, object]]:
    response = client.get("/api/audit", params=params, headers=world.headers("auditor"))
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_writes_are_audited_with_who_what_and_when(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        before = datetime.now(UTC) - timedelta(seconds=1)
        created = client.post(
            "/api/runs",
            json={"year": 2026, "municipalities": ["GM0629"]},
            headers=world.headers("planner"),
        )
        assert created.status_code == 201, created.text
        run_id = created.json()["run_id"]
        proposed = client.post(
            f"/api/runs/{run_id}/proposal", json={"note": "n"}, headers=world.headers("planner")
        )
        assert proposed.status_code == 201, proposed.text
        adopted = client.post(f"/api/runs/{run_id}/adopt", headers=world.headers("finance"))
        assert adopted.status_code == 200, adopted.text

        (create_event,) = _events(client, world, action="run.create")
        assert create_event["target"] == f"run:{run_id}"
        assert create_event["role"] == "planner"
        assert str(create_event["actor"]).endswith("(planner)")
        assert create_event["detail"] == {
            "year": 2026,
            "municipalities": ["GM0629"],
            "scenario": None,
        }
        (adopt_event,) = _events(client, world, action="run.adopt")
        assert adopt_event["target"] == f"run:{run_id}"
        assert (adopt_event["role"], adopt_event["partnership"]) == ("finance", None)
        at = datetime.fromisoformat(str(adopt_event["at"]))
        assert before <= at <= datetime.now(UTC)
        # newest first; the token issuance by the CLI is in the log too
        actions = [e["action"] for e in _events(client, world)]
        assert actions[:4] == ["run.adopt", "run.approve", "run.propose", "run.create"]
        assert actions.count("token.create") == 5
        # only finance and auditors read the log
        assert client.get("/api/audit", headers=world.headers("planner")).status_code == 403
        assert client.get("/api/audit", headers=world.headers("kracht")).status_code == 404


def test_refused_and_failed_writes_leave_no_trace(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        refused = client.post(
            f"/api/runs/{world.draft_2026}/adopt", headers=world.headers("planner")
        )
        assert refused.status_code == 403
        missing = client.post("/api/runs/nope/adopt", headers=world.headers("finance"))
        assert missing.status_code == 404
        no_budget = client.post("/api/runs", json={"year": 1999}, headers=world.headers("finance"))
        assert no_budget.status_code == 422
        assert _events(client, world, action="run.adopt") == []
        assert _events(client, world, action="run.create") == []


def test_the_audit_entry_and_the_write_commit_together(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the audit entry cannot be written, the adoption it records is rolled back too."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    propose(world.engine, world.draft_2026)
    monkeypatch.setattr(proposals, "record_event", broken)
    with TestClient(app=create_app(world.engine)) as client:
        response = client.post(
            f"/api/runs/{world.draft_2026}/adopt", headers=world.headers("finance")
        )
        assert response.status_code == 500
        assert response.json()["type"].endswith("/internal-error")
        assert "audit log unavailable" not in response.text
    with Session(world.engine) as session:
        assert session.get(Adoption, (2026, "GM0518")) is None
        assert session.get(Adoption, (2025, "GM0518")) is not None
