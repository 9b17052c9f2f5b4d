"""The planner page names the damping rule that held an area in Dutch, with the limit of the run
itself, and names a scenario run by its scenario (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from populatie.allocations import service as runs
from populatie.configuration import RegionConfig, load_config
from populatie.db import session_scope
from populatie.web import service
from tests.integration.conftest import CONFIG
from tests.integration.test_bound_labels_runs import SHIFT

NBSP = "\u00a0"


def test_the_planner_page_says_which_limit_held_an_area(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    with session_scope(loaded) as session:
        first = runs.create_run(session, config, 2025, ["GM0518"], "planner Jansen")
        runs.adopt(session, first.id, "financiën")
        first_id = first.id
    scenario = tmp_path / "shift.toml"
    scenario.write_text(SHIFT, encoding="utf-8")  # max_change_pct = 4.0
    with session_scope(loaded) as session:
        run_id = runs.create_run(
            session, load_config(CONFIG, scenario), 2026, ["GM0518"], "planner Jansen"
        ).id
    with Session(loaded) as session:
        view = service.planner_page(session, first_id, run_id, None, None)
        held = {area.code: dict(area.bounds) for area in runs.run_report(session, run_id).areas}
    assert any(held.values()), "the scenario moves money sharply: damping holds somebody"
    for row in view.rows:
        expected = "; ".join(
            f"{d}: begrensd: max. {'+' if bound.endswith('upper') else '−'}4{NBSP}%"
            for d, bound in sorted(held[row.code].items())
        )
        for code, dutch in (
            ("prevention", "preventie"),
            ("access", "toegang en basiszorg"),
            ("specialist", "specialistische hulp"),
        ):
            expected = expected.replace(f"{code}: ", f"{dutch}: ")
        assert row.bounds == expected
        assert "pct_band" not in row.bounds
    names = {c.value: c.label for c in view.runs}
    assert names[run_id].startswith("2026 · concept · scenario shift · ")
    assert names[run_id].endswith(" · door planner Jansen")
    assert names[first_id].startswith("2025 · vastgesteld · standaardinstellingen · ")
    assert all(run_id[:8] not in label for label in names.values())
