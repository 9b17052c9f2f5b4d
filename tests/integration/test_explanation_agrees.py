"""The four parts stored with a run are the waterfall of ``populatie explain`` summed into four:
one computation, the same parts (on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.allocations.models import RunArea
from populatie.configuration import RegionConfig
from populatie.db import session_scope
from populatie.planning.service import explain


def test_stored_parts_equal_explain_when_only_the_budget_changes(
    loaded: Engine, config: RegionConfig
) -> None:
    with session_scope(loaded) as session:
        first = service.create_run(session, config, 2025, ["GM0518", "GM0503"], "test")
        service.adopt(session, first.id, "test")
    with session_scope(loaded) as session:
        second = service.create_run(session, config, 2026, ["GM0518", "GM0503"], "test").id
    with Session(loaded) as session:
        rows = list(session.execute(select(RunArea).where(col(RunArea.run_id) == second)).scalars())
        report = explain(session, first.id, second).as_json()
    by_area = {a["code"]: a for a in report["areas"]}
    assert rows
    for row in rows:
        parts = by_area[row.area_code]["domains"][row.domain]["four_parts"]
        stored = {
            "budget": row.budget_effect_cents,
            "population": row.population_effect_cents,
            "need_mix": row.need_mix_effect_cents,
            "damping": row.damping_effect_cents,
        }
        assert stored == parts
        # Same figures, same rates, a 3 % larger budget: all of the change is the budget's,
        # the base amounts' dilution included; nothing is a change of need.
        assert parts["need_mix"] == 0
        assert parts["population"] == 0
        assert row.previous_cents is not None
        assert row.previous_cents + sum(parts.values()) == row.amount_cents
