"""The demo of ``make demo``, step by step on the command line: the regional contracts reach
all ten municipalities (none reconciles under no contract) and the planted rows make every
exception kind occur in ``populatie reconcile --year 2025``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from populatie.configuration import load_config
from populatie.core.reconciliation import EXCEPTION_KINDS
from tests.integration.api_support import CONFIG
from tests.integration.conftest import run_cli


def _ok(folder: Path, *args: str) -> str:
    done = run_cli(folder, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_demo_reaches_every_municipality_and_every_exception_kind(tmp_path: Path) -> None:
    _ok(tmp_path, "load")
    _ok(tmp_path, "allocate", "--year", "2025", "--adopt")
    out = tmp_path / "demo.csv"
    _ok(
        tmp_path,
        *("demo-spending", "--year", "2025", "--rows", "4000", "--seed", "2025"),
        *("--with-contracts", "--out", str(out)),
    )
    _ok(tmp_path, "import-spending", str(out))
    report = json.loads(_ok(tmp_path, "reconcile", "--year", "2025", "--format", "json"))

    municipalities = set(load_config(CONFIG).municipality_codes())
    lines = report["lines"]
    # every municipality's budget sits on its contracts: a line outside any contract is only
    # the planted spending on no contract (in Den Haag), and carries no allocation
    with_contract = {line["municipality"] for line in lines if line["contract"] is not None}
    assert with_contract == municipalities
    outside = [line for line in lines if line["contract"] is None]
    assert {line["municipality"] for line in outside} <= {"GM0518"}
    assert all(line["allocated_cents"] is None for line in outside)
    planted = sum(line["spent_cents"] for line in outside if line["domain"] == "total")
    no_contract = [e for e in report["exceptions"] if e["kind"] == "no-contract"]
    assert planted == sum(e["amount_cents"] for e in no_contract)
    counts = report["exception_counts"]
    assert set(counts) == set(EXCEPTION_KINDS)
    assert [kind for kind, n in counts.items() if n < 1] == []

    # every funding form has a contract in the demo, and their rows carry the detail
    forms = {line["funding_form"] for line in lines if line["contract"] is not None}
    assert forms == {
        "population-based",
        "task-based",
        "output-based-trajectory",
        "output-based-month",
        "effort-based",
    }
    segments = {line["segment"] for line in lines if line["funding_form"] != "population-based"}
    assert {"B", "C"} <= segments
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    stages = {row["stage"] for row in rows}
    assert {"start", "completion", "dropout"} <= stages
    priced = [row for row in rows if row["product_code"]]
    assert priced
    assert all(row["quantity"] and row["unit"] for row in priced)
    assert all("synthetic" in row["description"] for row in rows)
