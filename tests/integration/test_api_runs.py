"""The minimal API over runs, through the real app."""

from __future__ import annotations

from sqlalchemy import Engine

from populatie.allocations import service
from populatie.auth.tokens import issue_token
from populatie.configuration import RegionConfig
from populatie.db import session_scope


def test_get_run_returns_the_stable_json(loaded: Engine, config: RegionConfig) -> None:
    from litestar.testing import TestClient

    from populatie.app import create_app

    with session_scope(loaded) as session:
        run = service.create_run(session, config, 2025, ["GM0518"], "test")
        token = issue_token(session, "auditor", None, "test", "test").token
    with TestClient(app=create_app(loaded)) as client:
        assert client.get(f"/api/runs/{run.id}").status_code == 401
        client.headers["Authorization"] = f"Bearer {token}"
        response = client.get(f"/api/runs/{run.id}")
        assert response.status_code == 200
        body = response.json()
        assert body["run_id"] == run.id
        assert [a["code"] for a in body["areas"]] == [f"GM0518-L{i}" for i in range(1, 5)]
        missing = client.get("/api/runs/does-not-exist")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert missing.json()["type"].endswith("/not-found")
