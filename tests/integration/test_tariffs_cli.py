"""``populatie contracts add`` with the terms of a regional contract, and ``contracts tariffs
set|list``, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from populatie.db import make_engine, migrate, session_scope
from populatie.segments.models import Segment
from tests.integration.conftest import run_cli
from tests.integration.spending_support import seed_registry


def test_a_regional_contract_and_its_tariffs_from_the_command_line(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'cli.db').as_posix()}")
    migrate(engine)
    seed_registry(engine)
    with session_scope(engine) as s:
        s.add(Segment(code="B", name_nl="B", name_en="B", from_year=2020, source="t"))
    engine.dispose()
    added = run_cli(
        tmp_path, "contracts", "add", "--reference", "TRAJ-1", "--lot", "GM0518/1",
        "--start", "2025-01-01", "--end", "2026-12-31",
        "--funding-form", "output-based-trajectory", "--start-percent", "70", "--segment", "B",
        "--product", "45A12", "--municipality", "GM0518", "--municipality", "GM0503",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = run_cli(tmp_path, "contracts", "list", "--format", "json")
    (contract,) = json.loads(listed.stdout)
    assert (contract["start_percent"], contract["completion_percent"]) == (70, 30)
    assert contract["municipalities"] == ["GM0503", "GM0518"]

    for tariff, reason in (("1000.00", "award"), ("1025.50", "indexed by hand")):
        done = run_cli(
            tmp_path, "contracts", "tariffs", "set", "TRAJ-1", "--product", "45A12",
            "--year", "2025", "--unit", "trajectory", "--tariff", tariff, "--reason", reason,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    refused = run_cli(
        tmp_path, "contracts", "tariffs", "set", "TRAJ-1", "--product", "45B01",
        "--year", "2025", "--unit", "trajectory", "--tariff", "1", "--reason", "x",
    )  # fmt: skip
    assert refused.returncode != 0
    assert "not one of the contract's products" in refused.stderr + refused.stdout
    shown = run_cli(tmp_path, "contracts", "tariffs", "list", "TRAJ-1", "--format", "json")
    assert [(t["tariff_cents"], t["version"]) for t in json.loads(shown.stdout)] == [(102_550, 2)]
    every = run_cli(
        tmp_path, "contracts", "tariffs", "list", "TRAJ-1", "--history", "--format", "json"
    )
    assert [t["reason"] for t in json.loads(every.stdout)] == ["award", "indexed by hand"]
