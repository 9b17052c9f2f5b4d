"""``populatie contracts cost-sharing|shares|show`` as finance runs them: the key set and kept
in its history, audited as a CLI event, the shares adding up to the contract, a wrong key
refused with nothing written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.integration.conftest import run_cli

REF = "H10-2024-DH-P1"


def _ok(folder: Path, *args: str) -> str:
    done = run_cli(folder, *args, user="finance-desk")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_finance_sets_a_key_and_reads_the_shares_on_the_command_line(tmp_path: Path) -> None:
    _ok(tmp_path, "load")
    _ok(tmp_path, "contracts", "add", "--reference", REF, "--lot", "GM0518/1",
        "--start", "2024-01-01", "--end", "2026-12-31", "--extendable-to", "2028-12-31",
        "--funding-form", "population-based", "--ceiling", "2025=1000000.01")  # fmt: skip
    shown = json.loads(_ok(tmp_path, "contracts", "show", REF, "--format", "json"))
    assert [m["year"] for m in shown["milestones"]] == [2025, 2027]
    assert shown["cost_sharing"] is None

    key = ("contracts", "cost-sharing", REF, "--key", "fixed", "--reason", "regional agreement")
    wrong = run_cli(tmp_path, *key, "--share", "GM0518=60", "--share", "GM0503=25")
    assert wrong.returncode != 0
    assert "add up to 85.00 %, not 100 %" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert json.loads(_ok(tmp_path, "contracts", "cost-sharing", REF, "--format", "json")) == []

    _ok(tmp_path, *key, "--share", "GM0518=60", "--share", "GM0503=25,5", "--share", "GM0637=14.5")
    report = json.loads(
        _ok(tmp_path, "contracts", "shares", REF, "--year", "2025", "--format", "json")
    )
    assert report["key"]["basis_points"] == {"GM0503": 2550, "GM0518": 6000, "GM0637": 1450}
    ceilings = {m["municipality"]: m["ceiling_cents"] for m in report["municipalities"]}
    # 100000001 cents: 60000000.6, 25500000.255 and 14500000.145; the one cent left goes to
    # the largest remainder (.6)
    assert ceilings == {"GM0518": 60_000_001, "GM0503": 25_500_000, "GM0637": 14_500_000}
    assert report["ceiling_cents"] == sum(ceilings.values()) == 100_000_001
    assert "GM0637" in _ok(tmp_path, "contracts", "shares", REF, "--year", "2025")
    table = _ok(tmp_path, "contracts", "show", REF)
    assert "Go/no-go-moment 2027" in table
    assert "fixed: GM0503 25.50 %, GM0518 60.00 %, GM0637 14.50 %" in table

    history = json.loads(_ok(tmp_path, "contracts", "cost-sharing", REF, "--format", "json"))
    assert [(k["version"], k["recorded_by"], k["reason"]) for k in history] == [
        (1, "finance-desk", "regional agreement")
    ]
    db = sqlite3.connect(tmp_path / "cli.db")
    try:
        events = db.execute(
            "SELECT actor, role, target FROM audit_event WHERE action = 'contract.cost-sharing'"
        ).fetchall()
    finally:
        db.close()
    assert events == [("finance-desk", "cli", f"contract/{REF}")]
