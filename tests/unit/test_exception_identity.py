"""An exception's stable identity: the same for the same kind, subject and year whatever the
amounts, different when any of the three differs; and what lot and municipality it is about."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from populatie.core.exception_identity import (
    exception_key,
    exception_lot,
    exception_municipality,
)
from populatie.core.reconciliation import EXCEPTION_KINDS, ReconciliationException

kinds = st.sampled_from(sorted(EXCEPTION_KINDS))
subjects = st.text(min_size=1, max_size=40)
years = st.integers(2000, 2099)


def _finding(kind: str, subject: str, cents: int = 100, **facts: object) -> ReconciliationException:
    return ReconciliationException(
        kind=kind, subject=subject, amount_cents=cents, rows=1, detail="", facts=facts
    )


@given(kinds, subjects, years, st.integers(), st.integers())
def test_the_key_ignores_amounts_and_is_url_safe(
    kind: str, subject: str, year: int, a: int, b: int
) -> None:
    first, second = _finding(kind, subject, a), _finding(kind, subject, b)
    key = exception_key(first.kind, first.subject, year)
    assert key == exception_key(second.kind, second.subject, year)
    assert len(key) == 20
    assert set(key) <= set("0123456789abcdef")


@given(kinds, kinds, subjects, subjects, years, years)
def test_the_key_differs_when_kind_subject_or_year_differs(
    k1: str, k2: str, s1: str, s2: str, y1: int, y2: int
) -> None:
    if (k1, s1, y1) != (k2, s2, y2):
        assert exception_key(k1, s1, y1) != exception_key(k2, s2, y2)


def test_a_finding_is_placed_on_its_lot_and_municipality() -> None:
    lots = {"C-1": "GM0518/2"}
    by_fact = _finding("domain-not-covered", "lot GM0603/1 · access", lot="GM0603/1")
    by_contract = _finding("over-ceiling", "contract C-1")
    by_reference = _finding("duplicate-invoice", "invoice X", reference="C-1")
    by_lot_reference = _finding("duplicate-invoice", "invoice Y", reference="GM1783/3")
    by_municipality = _finding("no-contract", "no reference (GM0397)", municipality="GM0397")
    nowhere = _finding("no-contract", "reference NOPE", reference="NOPE")
    assert exception_lot(by_fact, lots) == "GM0603/1"
    assert exception_lot(by_contract, lots) == "GM0518/2"
    assert exception_lot(by_reference, lots) == "GM0518/2"
    assert exception_lot(by_lot_reference, lots) == "GM1783/3"
    assert exception_lot(nowhere, lots) is None
    assert exception_municipality(by_contract, lots) == "GM0518"
    assert exception_municipality(by_municipality, lots) == "GM0397"
    assert exception_municipality(nowhere, lots) is None
