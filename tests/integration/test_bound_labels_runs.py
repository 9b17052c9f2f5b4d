"""A stored run names every area held on a damping bound, and ``damped`` is true exactly where
its damping part is not 0 (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.allocations.models import RunArea
from populatie.configuration import RegionConfig, load_config
from populatie.core import split_cents
from populatie.db import session_scope
from tests.integration.conftest import CONFIG

SHIFT = (
    'name = "shift"\n'
    '[models.gm0518]\nmunicipalities = ["GM0518"]\n'
    "[models.gm0518.rates.prevention]\nyouth_care_users = 1.0\n"
    "[models.gm0518.rates.access]\nyouth_care_users = 1.0\n"
    "[models.gm0518.rates.specialist]\nyouth_care_users = 1.0\n"
    "[damping]\nmax_change_pct = 4.0\n"
)


def test_areas_on_a_bound_are_named_and_damped_follows_the_damping_part(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    with session_scope(loaded) as session:
        first = service.create_run(session, config, 2025, ["GM0518"], "test")
        service.adopt(session, first.id, "test")
    scenario = tmp_path / "shift.toml"
    scenario.write_text(SHIFT, encoding="utf-8")
    shifted = load_config(CONFIG, scenario)
    with session_scope(loaded) as session:
        run_id = service.create_run(session, shifted, 2026, ["GM0518"], "test").id
    with Session(loaded) as session:
        report = service.run_report(session, run_id)
        rows = list(session.execute(select(RunArea).where(col(RunArea.run_id) == run_id)).scalars())
    moved: set[str] = set()
    for domain in {r.domain for r in rows}:
        group = sorted((r for r in rows if r.domain == domain), key=lambda r: r.area_code)
        budget = shifted.budget_cents(2026, "GM0518")[domain]
        plain = split_cents(
            budget, np.array([r.target_cents for r in group]), [r.area_code for r in group]
        )
        for row, p in zip(group, plain.tolist(), strict=True):
            assert row.previous_cents is not None
            delta = row.previous_cents * 4 // 100
            on_lower = row.amount_cents == row.previous_cents - delta
            on_upper = row.amount_cents == row.previous_cents + delta
            if row.bound:
                assert row.bound in ("pct_band:lower", "pct_band:upper")
                assert on_lower if row.bound == "pct_band:lower" else on_upper
            if row.amount_cents != p:
                moved.add(row.area_code)
    assert moved  # the scenario moves money sharply: damping holds somebody
    # Also the area moved only by the shift that pays for the others' bounds.
    assert {a.code for a in report.areas if a.damped} == moved
