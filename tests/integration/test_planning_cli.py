"""``populatie estimate``, ``sensitivity`` and ``explain`` as a planner runs them (SQLite file)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import run_cli


def _populatie(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(folder, *args, user="planner")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    folder = tmp_path_factory.mktemp("planning-cli")
    assert _populatie(folder, "load").returncode == 0
    ids = []
    for args in (("--year", "2025", "--adopt"), ("--year", "2026")):
        done = _populatie(folder, "allocate", *args, "--format", "json")
        assert done.returncode == 0, done.stderr
        ids.append(json.loads(done.stdout)["run_id"])
    return folder, ids[0], ids[1]


def test_explain_prints_parts_that_add_up(runs: tuple[Path, str, str]) -> None:
    folder, adopted, draft = runs
    done = _populatie(folder, "explain", adopted, draft, "--format", "json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["run_a"] == adopted
    assert len(payload["areas"]) == 13
    for area in payload["areas"]:
        assert area["from_cents"] + sum(area["parts"].values()) == area["to_cents"]
    table = _populatie(folder, "explain", adopted, draft, "--domain", "specialist")
    assert table.returncode == 0, table.stderr
    assert "budget total" in table.stdout
    assert "GM0518 — specialist" in table.stdout


def test_sensitivity_table_and_json(runs: tuple[Path, str, str]) -> None:
    folder, _, draft = runs
    done = _populatie(folder, "sensitivity", draft, "--format", "json", "--step", "5")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["step"] == 0.05
    den_haag = payload["municipalities"][0]
    assert den_haag["municipality"] == "GM0518"
    for rate in den_haag["rates"]:
        assert sum(a["change_cents"] for a in rate["areas"].values()) == 0
    table = _populatie(folder, "sensitivity", draft)
    assert table.returncode == 0, table.stderr
    assert "a rate 10% higher" in table.stdout
    assert "one area, which receives the whole budget" in table.stdout


def test_estimate_from_a_spend_file_to_a_scenario_and_a_range(
    runs: tuple[Path, str, str],
) -> None:
    folder, _, draft = runs
    with sqlite3.connect(folder / "cli.db") as db:
        rows = db.execute(
            "select district_code, indicator, value from indicator_figure "
            "where municipality_code = 'GM0518'"
        ).fetchall()
    figures: dict[str, dict[str, float]] = {}
    for district, indicator, value in rows:
        figures.setdefault(district, {})[indicator] = value
    spend = folder / "spend.csv"
    spend.write_text(
        "district,amount\n"
        + "".join(
            f"{d},{7000 * v['youth_care_users'] + 300 * v['low_income_households']:.2f}\n"
            for d, v in sorted(figures.items())
        ),
        encoding="utf-8",
    )
    done = _populatie(
        folder, "estimate", "--domain", "specialist", "--spend-file", "spend.csv",
        "--municipality", "GM0518", "--indicator", "youth_care_users",
        "--indicator", "low_income_households", "--bootstrap", "50", "--seed", "4",
        "--format", "json", "--write-scenario", "scenarios/estimated.toml",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    rates = {row["indicator"]: row["rate"] for row in payload["indicators"]}
    assert rates == pytest.approx({"youth_care_users": 7000.0, "low_income_households": 300.0})
    assert payload["draws"] == 50
    (folder / "estimate.json").write_text(done.stdout, encoding="utf-8")
    scenario = folder / "scenarios" / "estimated.toml"
    assert "R² = 1.000" in scenario.read_text(encoding="utf-8")
    allocated = _populatie(folder, "allocate", "--year", "2026", "--scenario", str(scenario))
    assert allocated.returncode == 0, allocated.stderr
    assert "scenario estimated" in allocated.stdout
    ranged = _populatie(folder, "sensitivity", draft, "--estimate", "estimate.json")
    assert ranged.returncode == 0, ranged.stderr
    assert "specialist budget over the estimate's rate intervals" in ranged.stdout


def test_planner_errors_are_messages(runs: tuple[Path, str, str]) -> None:
    folder, adopted, _ = runs
    missing = _populatie(folder, "explain", adopted, "no-such-run")
    assert missing.returncode == 2
    assert "no-such-run does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    nothing = _populatie(folder, "estimate", "--domain", "specialist", "--from-spending", "2024")
    assert nothing.returncode == 2
    assert "import spending first" in nothing.stderr


def test_a_spend_file_must_list_every_district_unless_missing_is_zero(
    runs: tuple[Path, str, str],
) -> None:
    folder, _, _ = runs
    with sqlite3.connect(folder / "cli.db") as db:
        rows = db.execute(
            "select district_code, value from indicator_figure "
            "where municipality_code = 'GM0518' and indicator = 'youth_care_users' "
            "order by district_code"
        ).fetchall()
    kept = rows[:-2]
    (folder / "partial.csv").write_text(
        "district,amount\n" + "".join(f"{d},{7000 * v:.2f}\n" for d, v in kept),
        encoding="utf-8",
    )
    args = (
        "estimate", "--domain", "specialist", "--spend-file", "partial.csv",
        "--municipality", "GM0518", "--indicator", "youth_care_users", "--bootstrap", "0",
    )  # fmt: skip
    refused = _populatie(folder, *args)
    assert refused.returncode == 2
    assert "have no spend in the file" in refused.stderr
    assert all(d in refused.stderr for d, _ in rows[-2:])
    allowed = _populatie(folder, *args, "--missing", "zero", "--format", "json")
    assert allowed.returncode == 0, allowed.stderr
    payload = json.loads(allowed.stdout)
    assert [d["code"] for d in payload["excluded_districts"]] == ["WK051801"]
