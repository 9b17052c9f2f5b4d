"""``young_population`` in a run's JSON and CSV is a whole number, flagged where derived
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations import render, service
from populatie.allocations.models import RunArea
from populatie.configuration import RegionConfig
from populatie.db import session_scope


def test_young_population_is_whole_and_says_where_it_is_derived(
    loaded: Engine, config: RegionConfig
) -> None:
    with session_scope(loaded) as session:
        run_id = service.create_run(session, config, 2025, None, "test").id
    with Session(loaded) as session:
        report = service.run_report(session, run_id)
        stored = {
            r.area_code: r.young_population
            for r in session.execute(select(RunArea).where(col(RunArea.run_id) == run_id)).scalars()
        }
    body = json.loads(render.render_json(report))
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(render.render_csv(report)))}
    den_haag = [a for a in body["areas"] if a["municipality"] == "GM0518"]
    assert den_haag
    for area in body["areas"]:
        raw = stored[area["code"]]
        if raw is None:
            assert area["young_population"] is None
            assert area["young_population_derived"] is False
            assert rows[area["code"]]["young_population"] == ""
            continue
        assert isinstance(area["young_population"], int)
        assert area["young_population"] == round(raw)  # half to even
        assert rows[area["code"]]["young_population"] == str(area["young_population"])
        assert (
            rows[area["code"]]["young_population_derived"]
            == str(area["young_population_derived"]).lower()
        )
    # 's-Gravenhage's age groups are 2019 shares applied to 2024 inhabitants: derived.
    assert all(a["young_population_derived"] for a in den_haag)
    assert any(stored[a["code"]] != round(stored[a["code"]] or 0) for a in den_haag)
