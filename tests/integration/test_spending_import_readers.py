"""A file stores the same rows, detail and monthly totals whichever reader read it (pyarrow's
column-wise reader, or the row-wise one) and however its rows were written (COPY of pyarrow's
CSV or of joined text on PostgreSQL, executemany on SQLite), on both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from populatie.db import session_scope
from populatie.segments.models import Segment
from populatie.spending import parsing
from populatie.spending.arrow_reader import read_valid
from populatie.spending.service import import_spending
from tests.integration.spending_support import HEADER, row, seed_registry, write_csv

DETAIL_HEADER = HEADER + ",segment,product_code,quantity,unit,stage,assignment_reference"
ROWS = [
    row(district="", reference="", description="") + ",,,,,,",
    row(provider='"Zorg, B.V."', amount="-12.50") + ",B,45A12,2.5,hour,,",
    row(booking_date="2025-04-01", description='"a, b"') + ",,45A12,,,start,TW1",
    row(booking_date="2025-04-01", amount="7") + ",,45A12,,,dropout,TW1",
    row(municipality="GM0503", district="WK050301", domain="access") + ",B,,,,,",
    row(amount="0.00") + ",,45A13,1,day,dropout,TW2",
]
STORED = (
    "SELECT line, booked_on, municipality_code, district_code, reference, domain, provider, "
    "amount_cents, substr(invoice_reference, 3), description, segment, product_code, "
    "quantity_hundredths, unit, stage, assignment_reference FROM spending "
    "WHERE invoice_reference LIKE :prefix ORDER BY id"
)
TOTALS = "SELECT year, month, municipality_code, district_code, amount_cents, rows "
TOTALS += "FROM spending_month ORDER BY year, month, municipality_code, district_code"
DETAIL = (
    "SELECT d.segment, d.product_code, d.stage, d.unit, d.quantity_hundredths, d.amount_cents, "
    "d.rows, s.line FROM spending_detail_month d JOIN spending s ON s.id = d.first_spending_id "
    "WHERE s.invoice_reference LIKE :prefix ORDER BY s.line"
)
STAGES = (
    "SELECT t.assignment_reference, t.stage, t.amount_cents, s.line FROM spending_stage t "
    "JOIN spending s ON s.id = t.spending_id WHERE s.invoice_reference LIKE :prefix "
    "ORDER BY s.line"
)


@pytest.fixture
def db(engine: Engine) -> Engine:
    seed_registry(engine)
    with session_scope(engine) as s:
        s.add(Segment(code="B", name_nl="B", name_en="B", from_year=2020, to_year=2026, source="t"))
    return engine


def _file(tmp_path: Path, prefix: str) -> Path:
    lines = [
        line.replace("INV-1", f"{prefix}{k}", 1) if "INV-1" in line else line
        for k, line in enumerate(ROWS)
    ]
    return write_csv(tmp_path / f"{prefix}.csv", lines, DETAIL_HEADER)


def _stored(engine: Engine, prefix: str) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            name: [
                tuple(str(v) if name == "rows" and k == 1 else v for k, v in enumerate(r))
                for r in conn.execute(text(query), {"prefix": f"{prefix}%"})
            ]
            for name, query in (("rows", STORED), ("detail", DETAIL), ("stages", STAGES))
        }


def test_both_readers_store_the_same(db: Engine, tmp_path: Path) -> None:
    read: list[bool] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        parsed = read_valid(*args, **kwargs)
        read.append(parsed is not None)
        return parsed

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parsing, "read_valid", spy)
        import_spending(db, _file(tmp_path, "A-"), user="t")
    assert read == [True]  # the column-wise reader took it
    with db.connect() as conn:
        totals_once = [tuple(r) for r in conn.execute(text(TOTALS))]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parsing, "read_valid", lambda *_args, **_kwargs: None)
        import_spending(db, _file(tmp_path, "B-"), user="t")
    first, second = _stored(db, "A-"), _stored(db, "B-")
    assert first == second
    rows = first["rows"]
    assert len(rows) == len(ROWS)
    # NULL where the file has nothing, "" where the column holds text
    assert rows[0][3:5] == (None, "")
    assert rows[0][9:] == ("", None, None, None, None, None, None)
    assert rows[1][6:8] == ("Zorg, B.V.", -1250)
    assert rows[1][10:14] == ("B", "45A12", 250, "hour")
    assert rows[2][9] == "a, b"
    assert [r[7] for r in rows] == [123456, -1250, 123456, 700, 123456, 0]
    assert [s[:2] for s in first["stages"]] == [
        ("TW1", "start"),
        ("TW1", "dropout"),
        ("TW2", "dropout"),
    ]
    with db.connect() as conn:
        totals_twice = [tuple(r) for r in conn.execute(text(TOTALS))]
    # the second file doubled every total the first made
    assert [t[:4] for t in totals_twice] == [t[:4] for t in totals_once]
    assert [(t[4] * 2, t[5] * 2) for t in totals_once] == [t[4:] for t in totals_twice]
