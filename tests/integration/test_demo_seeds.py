"""Demo spending files of different seeds import one after the other: their invoice references
differ by seed, so a second demo year-file is new spending, not a clash with the first."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from populatie.allocations import service
from populatie.configuration import RegionConfig
from populatie.db import session_scope
from populatie.spending.demo import register_demo_contracts, write_demo_spending
from populatie.spending.models import Spending
from populatie.spending.service import import_spending


def _invoices(path: Path) -> set[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["invoice_reference"] for row in csv.DictReader(fh)}


def test_two_seeds_import_one_after_the_other(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    with session_scope(loaded) as session:
        run = service.create_run(session, config, 2025, None, "test")
        service.adopt(session, run.id, "test")
        register_demo_contracts(session, 2025, "test")
        first = write_demo_spending(session, 2025, 300, 1, tmp_path / "seed-1.csv")
        second = write_demo_spending(session, 2025, 300, 2, tmp_path / "seed-2.csv")
        again = write_demo_spending(session, 2025, 300, 1, tmp_path / "seed-1-again.csv")
    assert not _invoices(first.path) & _invoices(second.path)
    assert all(i.startswith("DEMO-") for i in _invoices(first.path))
    assert first.path.read_bytes() == again.path.read_bytes(), "the same seed, the same file"

    one = import_spending(loaded, first.path, user="test")
    two = import_spending(loaded, second.path, user="test")
    assert (one.imported, one.rows) == (True, first.rows)
    assert (two.imported, two.rows) == (True, second.rows)
    assert not import_spending(loaded, again.path, user="test").imported
    with Session(loaded) as session:
        stored = session.execute(select(func.count()).select_from(Spending)).scalar_one()
    assert stored == first.rows + second.rows
