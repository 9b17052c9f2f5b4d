"""An instalment off schedule has no booked row as evidence, only its month, what was due and
what was paid: the terminal table and the pages say those, not "line ?" and "€ 0,00"."""

from __future__ import annotations

from populatie.core.reconciliation import ReconciliationException
from populatie.reconciliation.render import _evidence_text
from populatie.web.service import _exception_view

INSTALMENT = {"month": "2025-11", "due_cents": 44_033_333, "paid_cents": 43_883_333}
ROW = {
    "file": "uitgaven.csv",
    "line": 12,
    "invoice_reference": "F-1",
    "booked_on": "2025-11-03",
    "amount_cents": 12_345,
}


def _exception() -> ReconciliationException:
    return ReconciliationException(
        kind="instalment-off-schedule",
        subject="contract C-1",
        amount_cents=-150_000,
        rows=0,
        detail="instalments of contract C-1 off schedule",
        evidence=(INSTALMENT, ROW),
    )


def test_the_terminal_names_the_instalments_month_due_and_paid() -> None:
    text = _evidence_text(INSTALMENT)
    assert "2025-11" in text
    assert "440.333,33" in text
    assert "438.833,33" in text
    assert "line" not in text
    assert _evidence_text(ROW).strip().startswith("uitgaven.csv line 12: F-1 2025-11-03")


def test_the_page_names_the_instalments_month_due_and_paid() -> None:
    instalment, row = _exception_view(_exception(), with_detail=True).evidence
    assert instalment.booked_on == "2025-11"
    assert "440.333,33" in instalment.invoice
    assert "438.833,33" in instalment.amount
    assert instalment.source == ""
    assert (row.invoice, row.source) == ("F-1", "uitgaven.csv, regel 12")
