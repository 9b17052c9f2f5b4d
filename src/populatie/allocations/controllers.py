"""Thin HTTP layer over the allocation service."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from sqlmodel import Session

from populatie.allocations import service


class RunController(Controller):
    path = "/api/runs"
    tags = ["allocation runs"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", operation_id="ListRuns", sync_to_thread=True)
    def list_runs(self, session: Session, year: int | None = None) -> list[dict[str, Any]]:
        return [
            {
                "run_id": run.id,
                "year": run.year,
                "status": service.run_status(session, run),
                "scenario": run.scenario,
                "municipalities": run.municipalities,
                "created_at": run.created_at.isoformat(),
                "created_by": run.created_by,
            }
            for run in service.list_runs(session, year)
        ]

    @get("/{run_id:str}", operation_id="GetRun", sync_to_thread=True)
    def get_run(self, session: Session, run_id: str) -> dict[str, object]:
        return service.run_report(session, run_id).as_json()
