"""The optional detail columns of a spending file (segment, iJw product, quantity, unit, stage,
assignment reference): stored exactly, checked with line, column, value and reason, on both
databases; a file without them imports as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from populatie.db import session_scope
from populatie.errors import SpendingImportError
from populatie.segments.models import Segment
from populatie.spending.models import Spending, SpendingDetailMonth, SpendingStage
from populatie.spending.service import import_spending
from tests.integration.spending_support import HEADER, row, seed_registry, snapshot, write_csv

DETAIL_HEADER = HEADER + ",segment,product_code,quantity,unit,stage,assignment_reference"


def detail_row(
    segment: str = "B",
    product: str = "45A12",
    quantity: str = "2.5",
    unit: str = "hour",
    stage: str = "",
    assignment: str = "",
    **values: str,
) -> str:
    return row(**values) + f",{segment},{product},{quantity},{unit},{stage},{assignment}"


@pytest.fixture
def db(engine: Engine) -> Engine:
    seed_registry(engine)
    with session_scope(engine) as s:
        s.add_all(
            [
                Segment(
                    code="B", name_nl="B", name_en="B", from_year=2020, to_year=2026, source="t"
                ),
                Segment(code="NEW", name_nl="N", name_en="N", from_year=2027, source="t"),
            ]
        )
    return engine


def _stored(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    Spending.invoice_reference,
                    Spending.segment,
                    Spending.product_code,
                    Spending.quantity_hundredths,
                    Spending.unit,
                    Spending.stage,
                    Spending.assignment_reference,
                    Spending.amount_cents,
                ).order_by(Spending.id)
            )
        ]


def test_detail_is_stored_exactly_and_grouped_for_the_checks(db: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "detail.csv",
        [
            detail_row(invoice_reference="D-1", amount="100.00", quantity="2.5"),
            detail_row(invoice_reference="D-2", amount="100.00", quantity="2.5"),
            detail_row(
                invoice_reference="D-3",
                amount="600.00",
                unit="trajectory",
                quantity="1",
                stage="start",
                assignment="TW0001",
            ),
            detail_row(
                invoice_reference="D-4",
                amount="0.00",
                unit="trajectory",
                quantity="1",
                stage="dropout",
                assignment="TW0001",
            ),
            detail_row(invoice_reference="D-5", segment="", product="", quantity="", unit=""),
        ],
        header=DETAIL_HEADER,
    )
    import_spending(db, path, user="t")
    assert _stored(db) == [
        ("D-1", "B", "45A12", 250, "hour", None, None, 10_000),
        ("D-2", "B", "45A12", 250, "hour", None, None, 10_000),
        ("D-3", "B", "45A12", 100, "trajectory", "start", "TW0001", 60_000),
        ("D-4", "B", "45A12", 100, "trajectory", "dropout", "TW0001", 0),
        ("D-5", None, None, None, None, None, None, 123_456),
    ]
    with db.connect() as conn:
        groups = sorted(
            (r.stage, r.quantity_hundredths, r.amount_cents, r.rows)
            for r in conn.execute(select(SpendingDetailMonth))
        )
        stages = sorted(
            (r.assignment_reference, r.stage, r.amount_cents)
            for r in conn.execute(select(SpendingStage))
        )
    # D-1 and D-2 are alike in everything a tariff check reads: one group of two rows
    assert groups == [("", 250, 10_000, 2), ("dropout", 100, 0, 1), ("start", 100, 60_000, 1)]
    assert stages == [("TW0001", "dropout", 0), ("TW0001", "start", 60_000)]


def test_a_file_without_detail_stores_none(db: Engine, tmp_path: Path) -> None:
    import_spending(db, write_csv(tmp_path / "plain.csv", [row()]), user="t")
    assert _stored(db) == [("INV-1", None, None, None, None, None, None, 123_456)]
    with db.connect() as conn:
        assert conn.execute(select(SpendingDetailMonth)).first() is None


@pytest.mark.parametrize(
    ("spoil", "column", "reason"),
    [
        ({"segment": "Z"}, "segment", "not a segment; segments are B, NEW"),
        ({"segment": "NEW"}, "segment", "segment NEW applies from 2027 on, not in 2025"),
        ({"product": "4512"}, "product_code", "not an iJw product code"),
        ({"product": "A5A12"}, "product_code", "not an iJw product code"),
        ({"product": "45a12"}, "product_code", "not an iJw product code"),
        ({"quantity": "1.234"}, "quantity", "not a quantity"),
        ({"quantity": '"1,5"'}, "quantity", "not a quantity"),
        ({"quantity": "0"}, "quantity", "a quantity of zero books nothing"),
        ({"quantity": "-1"}, "quantity", "not a quantity"),
        ({"unit": "litre"}, "unit", "not a unit"),
        ({"stage": "halfway", "assignment": "A1"}, "stage", "not a stage"),
        ({"stage": "start"}, "assignment_reference", "a stage needs the assignment"),
        ({"product": "", "unit": ""}, "product_code", "a quantity needs the product"),
        ({"quantity": ""}, "quantity", "a unit needs a quantity"),
        ({"assignment": "TW-1"}, "assignment_reference", "not an assignment reference"),
        ({"assignment": "111222333"}, "assignment_reference", "personal data is not accepted"),
        # a dropout may book zero, but an amount that cannot be read is no zero
        (
            {"amount": "abc", "stage": "dropout", "assignment": "TW0001"},
            "amount",
            "'abc' is not a euro amount",
        ),
        (
            {"amount": "", "stage": "dropout", "assignment": "TW0001"},
            "amount",
            "",
        ),
    ],
)
def test_bad_detail_names_line_column_value_and_reason(
    db: Engine, tmp_path: Path, spoil: dict[str, str], column: str, reason: str
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [detail_row(invoice_reference="OK"), detail_row(invoice_reference="BAD", **spoil)],
        header=DETAIL_HEADER,
    )
    before = snapshot(db)
    with pytest.raises(SpendingImportError) as caught:
        import_spending(db, path, user="t")
    assert snapshot(db) == before
    details = caught.value.details
    assert [(d["line"], d["column"]) for d in details] == [(3, column)]
    assert str(details[0]["reason"]).startswith(reason)


def test_an_assignment_of_nine_digits_failing_the_eleven_test_is_fine(
    db: Engine, tmp_path: Path
) -> None:
    # 111222333 passes the eleven-test (checked above); 111222334 does not
    path = write_csv(
        tmp_path / "ok.csv", [detail_row(assignment="111222334")], header=DETAIL_HEADER
    )
    import_spending(db, path, user="t")
    assert _stored(db)[0][6] == "111222334"


def test_dutch_quantities_follow_the_file(db: Engine, tmp_path: Path) -> None:
    # written with commas, then separated by ; with a decimal comma in the figures
    fields = detail_row(quantity="QTY", amount="AMT").split(",")
    line = ";".join(fields).replace("QTY", "1,25").replace("AMT", "12,50")
    path = tmp_path / "nl.csv"
    path.write_text(DETAIL_HEADER.replace(",", ";") + "\n" + line + "\n", encoding="utf-8")
    import_spending(db, path, user="t", decimal_comma=True)
    assert _stored(db)[0][3] == 125
    assert _stored(db)[0][7] == 1250


def test_rows_of_two_assignments_are_no_double_invoice(db: Engine, tmp_path: Path) -> None:
    """Two children starting the same trajectory on the same day cost the same: that is no
    double invoice. The same assignment twice still is, within a file and across files."""
    start = {"stage": "start", "quantity": "1", "unit": "trajectory", "amount": "600.00"}
    first = write_csv(
        tmp_path / "a.csv",
        [
            detail_row(invoice_reference="S-1", assignment="TW1", **start),
            detail_row(invoice_reference="S-2", assignment="TW2", **start),
            detail_row(invoice_reference="S-3", assignment="TW1", **start),
        ],
        header=DETAIL_HEADER,
    )
    assert import_spending(db, first, user="t").duplicates == 1  # S-3 repeats S-1
    second = write_csv(
        tmp_path / "b.csv",
        [
            detail_row(invoice_reference="S-4", assignment="TW3", **start),
            detail_row(invoice_reference="S-5", assignment="TW2", **start),
        ],
        header=DETAIL_HEADER,
    )
    assert import_spending(db, second, user="t").duplicates == 1  # S-5 repeats S-2
    with db.connect() as conn:
        pairs = sorted(
            conn.execute(
                text(
                    "SELECT c.invoice_reference, o.invoice_reference FROM spending_duplicate d "
                    "JOIN spending c ON c.id = d.spending_id "
                    "JOIN spending o ON o.id = d.original_id"
                )
            ).all()
        )
    assert [tuple(p) for p in pairs] == [("S-3", "S-1"), ("S-5", "S-2")]
