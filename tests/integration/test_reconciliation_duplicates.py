"""Duplicate invoices in the reconciliation: the database picks the year's flags, so the flags
of other years (hundreds of thousands, over time) are never read to be thrown away."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from populatie.reconciliation.service import reconcile_year
from populatie.spending.service import import_spending
from tests.integration.spending_support import add_contract, row, seed_registry, write_csv


def _rows(year: int, repeats: int) -> list[str]:
    """Twelve rows in ``year``, the first ``repeats`` of them repeated under new invoices."""
    rows = []
    for month in range(1, 13):
        rows.append(
            row(
                booking_date=f"{year}-{month:02d}-10",
                reference="C-1",
                amount=f"{1000 + month}.00",
                invoice_reference=f"I-{year}-{month:02d}",
            )
        )
    for month in range(1, repeats + 1):
        rows.append(
            row(
                booking_date=f"{year}-{month:02d}-10",
                reference="C-1",
                amount=f"{1000 + month}.00",
                invoice_reference=f"D-{year}-{month:02d}",
            )
        )
    return rows


def test_only_the_years_duplicate_flags_are_read(engine: Engine, tmp_path: Path) -> None:
    seed_registry(engine)
    add_contract(engine, "C-1", starts_on=date(2024, 1, 1), ends_on=date(2026, 12, 31))
    # one file, its years interleaved: the 2025 rows' ids lie between rows of 2024 and 2026
    years = [_rows(y, 6) for y in (2024, 2025, 2026)]
    lines = [x for trio in zip(*(rows[:12] for rows in years), strict=True) for x in trio]
    lines += [x for rows in years for x in rows[12:]]
    assert import_spending(engine, write_csv(tmp_path / "s.csv", lines), user="t").duplicates == 18

    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM spending_duplicate" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            result = reconcile_year(session, 2025, 4)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    found = sorted(e.subject for e in result.exceptions if e.kind == "duplicate-invoice")
    assert found == [f"invoice D-2025-0{m}" for m in range(1, 5)]

    (statement, params) = seen[-1]
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.execute(statement, params)
        assert len(cursor.fetchall()) == 4, "the database returns the flags wanted, no others"
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
            plan = [str(r[-1]) for r in cursor.fetchall()]
            scans = [step for step in plan if step.startswith("SCAN")]
            assert all("spending_duplicate" in step for step in scans), plan
