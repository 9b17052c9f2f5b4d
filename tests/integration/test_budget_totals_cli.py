"""``populatie budgets …`` as finance runs it: a fresh database seeded on load, a year without
totals refused with the commands that set them, indexation, a change kept in the history."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.integration.conftest import run_cli


def test_budgets_index_set_show_history_and_allocate(tmp_path: Path) -> None:
    loaded = run_cli(tmp_path, "load")
    assert loaded.returncode == 0, loaded.stderr
    assert "budget totals seeded from config/budgets.toml: 20" in loaded.stdout

    refused = run_cli(tmp_path, "allocate", "--year", "2027", "--municipality", "GM0629")
    assert refused.returncode == 2
    message = " ".join(refused.stderr.split())
    assert "no budget totals for 2027 for GM0629" in message
    assert "populatie budgets set 2027 GM0629" in message
    assert "populatie budgets index --from 2026 --to 2027" in message

    indexed = run_cli(
        tmp_path, "budgets", "index", "--from", "2026", "--to", "2027", "--pct", "3.2",
        "--basis", "OVA 2026",
    )  # fmt: skip
    assert indexed.returncode == 0, indexed.stderr
    assert "made for 10 municipalities" in indexed.stdout
    again = run_cli(
        tmp_path, "budgets", "index", "--from", "2026", "--to", "2027", "--pct", "1",
        "--basis", "x",
    )  # fmt: skip
    assert again.returncode == 2
    assert "budgets set" in again.stderr

    changed = run_cli(
        tmp_path, "budgets", "set", "2027", "GM0629", "--prevention", "900.000,00",
        "--access", "2100000", "--specialist", "5600000.00", "--reason", "council amendment",
    )  # fmt: skip
    assert changed.returncode == 2  # a Dutch thousands separator is not a plain amount
    changed = run_cli(
        tmp_path, "budgets", "set", "2027", "GM0629", "--prevention", "900000.00",
        "--access", "2100000", "--specialist", "5600000.00", "--reason", "council amendment",
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr

    shown = run_cli(tmp_path, "budgets", "show", "2027", "--format", "json")
    wassenaar = next(v for v in json.loads(shown.stdout) if v["municipality"] == "GM0629")
    assert wassenaar["cents"] == {
        "prevention": 90_000_000,
        "access": 210_000_000,
        "specialist": 560_000_000,
    }
    history = run_cli(tmp_path, "budgets", "history", "2027", "GM0629", "--format", "json")
    versions = json.loads(history.stdout)
    assert [(v["version"], v["source"], v["changed_by"]) for v in versions] == [
        (1, "index", "tester"),
        (2, "set", "tester"),
    ]
    assert versions[0]["basis"] == "OVA 2026"

    done = run_cli(
        tmp_path, "allocate", "--year", "2027", "--municipality", "GM0629", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["budget_cents"]["GM0629"] == wassenaar["cents"]
    with closing(sqlite3.connect(tmp_path / "cli.db")) as db:
        events = db.execute(
            "select action, actor, role from audit_event where action like 'budget_totals.%' "
            "order by id"
        ).fetchall()
    assert events == [
        ("budget_totals.index", "tester", "cli"),
        ("budget_totals.set", "tester", "cli"),
    ]
