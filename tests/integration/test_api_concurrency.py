"""Concurrent requests: adoptions that race, and long work that must not block the others."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.allocations.models import Adoption, AllocationRun
from populatie.app import create_app
from populatie.configuration import load_config
from populatie.db import session_scope
from tests.integration.api_support import CONFIG, World, build_world, propose

ROUNDS = 4
HANG_GUARD = 60.0  # seconds; only a blocked event loop ever waits this long


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _drafts(engine: Engine, year: int, municipalities: list[list[str]]) -> list[str]:
    config = load_config(CONFIG)
    with session_scope(engine) as session:
        return [service.create_run(session, config, year, m, "test").id for m in municipalities]


async def _adopt_at_once(app: Any, world: World, run_ids: list[str]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return list(
            await asyncio.gather(
                *(
                    client.post(f"/api/runs/{run_id}/adopt", headers=world.headers("finance"))
                    for run_id in run_ids
                )
            )
        )


def test_concurrent_adoptions_leave_exactly_one_adopted_run(world: World) -> None:
    app = create_app(world.engine)
    for round_ in range(ROUNDS):
        # the same municipality-year, and overlapping sets listed in different orders
        sets = [["GM0503", "GM0637"], ["GM0637", "GM0503"], ["GM0503", "GM0637"]]
        run_ids = _drafts(world.engine, 2026, sets)
        propose(world.engine, *run_ids)
        responses = asyncio.run(_adopt_at_once(app, world, run_ids))
        assert [r.status_code for r in responses] == [200] * len(run_ids), [
            r.text for r in responses
        ]
        with Session(world.engine) as session:
            rows = (
                session.execute(
                    select(Adoption)
                    .where(col(Adoption.year) == 2026)
                    .where(col(Adoption.municipality_code).in_(["GM0503", "GM0637"]))
                )
                .scalars()
                .all()
            )
            assert len(rows) == 2, round_
            winners = {row.run_id for row in rows}
            assert len(winners) == 1, f"round {round_}: municipalities adopted from {winners}"
            statuses = {
                run_id: service.run_status(session, session.get(AllocationRun, run_id))  # type: ignore[arg-type]
                for run_id in run_ids
            }
        assert sorted(statuses.values()) == ["adopted", "superseded", "superseded"], statuses
        assert statuses[winners.pop()] == "adopted"


def test_a_recalculation_does_not_block_other_requests(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a recalculation is held up, a budget read is answered: the recalculation is
    released only after the read has come back, so a read that waited for it would wait for
    ever (here: until the guard gives up, and the test fails)."""
    real_create_run = service.create_run
    running, release, finished = threading.Event(), threading.Event(), threading.Event()

    def held_create_run(*args: Any, **kwargs: Any) -> AllocationRun:
        running.set()
        release.wait(HANG_GUARD)  # a blocking wait holds the event loop as CPU work would
        try:
            return real_create_run(*args, **kwargs)
        finally:
            finished.set()

    monkeypatch.setattr(service, "create_run", held_create_run)
    app = create_app(world.engine)

    async def scenario() -> tuple[int, bool, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            long = asyncio.create_task(
                client.post(
                    "/api/runs",
                    json={"year": 2026, "municipalities": ["GM0629"]},
                    headers=world.headers("planner"),
                )
            )
            assert await asyncio.to_thread(running.wait, HANG_GUARD)
            read = await client.get(
                "/api/areas/GM0518-L2/budget", headers=world.headers("rondomjou")
            )
            read_before_run = not finished.is_set()
            release.set()
            created = await long
            return read.status_code, read_before_run, created.status_code

    read_status, read_before_run, created_status = asyncio.run(scenario())
    assert (read_status, created_status) == (200, 201)
    assert read_before_run, "the read waited for the recalculation"
