"""A run's status after a partial adoption: adoption is per municipality-year, so a run adopted
for all ten municipalities is superseded only where another run was adopted after it."""

from __future__ import annotations

from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from populatie.allocations import service
from populatie.allocations.models import AllocationRun
from populatie.app import create_app
from populatie.auth.tokens import issue_token
from populatie.configuration import RegionConfig
from populatie.db import session_scope
from populatie.web.service import planner_page


def test_a_den_haag_only_adoption_supersedes_the_region_run_for_den_haag_only(
    loaded: Engine, config: RegionConfig
) -> None:
    with session_scope(loaded) as session:
        region = service.create_run(session, config, 2025, None, "test")
        service.adopt(session, region.id, "test")
        den_haag = service.create_run(session, config, 2025, ["GM0518"], "test")
        service.adopt(session, den_haag.id, "test")
        token = issue_token(session, "auditor", None, "test", "test").token
        region_id, den_haag_id = region.id, den_haag.id
    others = [m for m in config.municipality_codes() if m != "GM0518"]

    with Session(loaded) as session:
        run = session.get(AllocationRun, region_id)
        assert run is not None
        standing = service.run_standing(session, run)
        assert standing.status == "adopted"
        assert sorted(standing.adopted_for) == sorted(others)
        assert standing.superseded_for == ("GM0518",)
        assert standing.label == "adopted (9 of 10; GM0518 superseded)"
        assert service.run_report(session, region_id).status == "adopted"
        assert service.run_report(session, den_haag_id).status == "adopted"
        labels = {c.value: c.label for c in planner_page(session, None, None, None, None).runs}
        assert "vastgesteld (9 van 10; GM0518 vervangen)" in labels[region_id]
        assert "vervangen)" not in labels[den_haag_id]

    with TestClient(app=create_app(loaded)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        items = {r["run_id"]: r for r in client.get("/api/runs").json()["items"]}
    assert items[region_id]["status"] == "adopted"
    assert sorted(items[region_id]["adopted_for"]) == sorted(others)
    assert items[region_id]["superseded_for"] == ["GM0518"]
    assert items[den_haag_id]["adopted_for"] == ["GM0518"]
    assert items[den_haag_id]["superseded_for"] == []

    # Once a later region run takes over the other nine as well, the first is wholly superseded.
    with session_scope(loaded) as session:
        later = service.create_run(session, config, 2025, None, "test")
        service.adopt(session, later.id, "test")
    with Session(loaded) as session:
        run = session.get(AllocationRun, region_id)
        assert run is not None
        standing = service.run_standing(session, run)
        assert (standing.status, standing.label, standing.adopted_for) == (
            "superseded",
            "superseded",
            (),
        )
        assert len(standing.superseded_for) == 10
