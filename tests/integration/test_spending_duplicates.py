"""The likely-double-invoice rule, exactly: a row repeats another only when municipality,
district, reference, domain, provider, booking date and amount are all the same (under another
invoice reference). A row that differs in any one of them is a different invoice, within a file
and against the files imported before it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased

from populatie.db import session_scope
from populatie.reconciliation.service import reconcile_year
from populatie.spending.models import Spending, SpendingDuplicate
from populatie.spending.service import import_spending
from tests.integration.spending_support import SUBCONTRACTOR, row, seed_registry, write_csv

# Each differs from its base row in one part of the rule only. Every pair has a month of its
# own, so a pair is the only content of its monthly total: no other row can sit between the two
# and hide a rule that looks at fewer parts.
NEAR_MISSES = {
    "day": {"booking_date": "15"},
    "amount": {"amount": "100.01"},
    "sign": {"amount": "-100.00"},
    "provider": {"provider": SUBCONTRACTOR},
    "domain": {"domain": "access"},
    "district": {"district": "WK051802"},
    "no district": {"district": ""},
    "reference": {"reference": "GM0518/1"},
    "municipality": {"municipality": "GM0503", "district": "WK050301"},
}
COPIED_MONTH = 12  # the month of the one exact repeat


def _row(invoice: str, month: int, **change: str) -> str:
    day = change.pop("booking_date", "14")
    fields = {"booking_date": f"2025-{month:02d}-{day}", "amount": "100.00", **change}
    return row(invoice_reference=invoice, **fields)


def _bases() -> list[str]:
    return [_row(f"BASE-{m}", m) for m in range(1, len(NEAR_MISSES) + 1)] + [
        _row("BASE", COPIED_MONTH)
    ]


def _near_misses() -> list[str]:
    return [
        _row(f"NEAR-{name}", month, **change)
        for month, (name, change) in enumerate(NEAR_MISSES.items(), start=1)
    ]


def _flagged(engine: Engine) -> set[tuple[str, str]]:
    """(invoice, invoice it repeats) for every row the imports flagged."""
    copy, original = aliased(Spending), aliased(Spending)
    with engine.connect() as conn:
        rows = conn.execute(
            select(copy.invoice_reference, original.invoice_reference)
            .select_from(SpendingDuplicate)
            .join(copy, copy.id == SpendingDuplicate.spending_id)
            .join(original, original.id == SpendingDuplicate.original_id)
        )
        return {(a, b) for a, b in rows}


def _reported(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        result = reconcile_year(session, 2025)
    return [e.subject for e in result.exceptions if e.kind == "duplicate-invoice"]


@pytest.fixture
def db(engine: Engine) -> Engine:
    seed_registry(engine)
    return engine


def test_within_a_file_only_an_exact_repeat_is_flagged(db: Engine, tmp_path: Path) -> None:
    rows = [*_bases(), *_near_misses(), _row("COPY", COPIED_MONTH)]
    outcome = import_spending(db, write_csv(tmp_path / "one.csv", rows), user="t")
    assert outcome.duplicates == 1
    assert _flagged(db) == {("COPY", "BASE")}
    assert _reported(db) == ["invoice COPY"]


def test_against_an_earlier_file_only_an_exact_repeat_is_flagged(
    db: Engine, tmp_path: Path
) -> None:
    first = import_spending(db, write_csv(tmp_path / "first.csv", _bases()), user="t")
    assert first.duplicates == 0
    rows = [*_near_misses(), _row("COPY", COPIED_MONTH)]
    second = import_spending(db, write_csv(tmp_path / "second.csv", rows), user="t")
    assert second.duplicates == 1
    assert _flagged(db) == {("COPY", "BASE")}
    assert _reported(db) == ["invoice COPY"]
