"""Every kind of reconciliation finding, said in Dutch on the pages from the core's own values."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from populatie.core.funding_checks import funding_exceptions
from populatie.core.reconciliation import (
    EXCEPTION_KINDS,
    CoverageProblem,
    DuplicateInvoice,
    ReconciliationException,
    reconcile,
)
from populatie.web.exception_text import WITHOUT_FACTS, dutch_detail, dutch_notes, dutch_subject
from tests.unit.test_funding_rules import _stage, check, detail, month_total, terms
from tests.unit.test_reconciliation_rules import (
    AREAS,
    DISTRICTS,
    DOMAINS,
    LOT1,
    LOT2,
    contract,
    run,
    total,
)

# Words of the English sentences that must not reach a Dutch page.
ENGLISH = re.compile(
    r"\b(months?|lies|covers|area|is no member|members|spent|against|passed|allocated|"
    r"repeats|invoice|reference|district|lot|contract period|configuration|no area)\b"
)


def _findings() -> list[ReconciliationException]:
    contracts = [
        contract(ceiling=None),
        contract("C2", LOT2, end=date(2025, 4, 30), ceiling=None),
        contract("C3", LOT2, start=date(2024, 1, 1), end=date(2024, 12, 31), ceiling=None),
    ]
    found: list[ReconciliationException] = []
    for t in (
        total(1, reference=""),
        total(1, reference="X9"),
        total(1, district="WK051811"),
        total(1, municipality="GM0503", district=""),
        total(1, provider="stranger"),
        total(1, reference="C2", domain="specialist", district="WK051811"),
        total(1, district="WK059999"),
        total(1, month=11, reference="C3", district="WK051811"),
        total(1, month=5, reference="GM0518/2", district="WK051811"),
    ):
        found += run([t], contracts).exceptions
    over = [total(i, month=i, amount=300) for i in range(1, 6)]
    found += run(over, [contract(ceiling=1_000)], allocated={("A1", "access"): 1_000}).exceptions
    found += run([], [contract(ceiling=1_000)]).exceptions
    dup = DuplicateInvoice(
        "I-2",
        "I-1",
        date(2025, 3, 3),
        "member",
        "C1",
        "access",
        "WK051801",
        123_456,
        "f",
        3,
        "f",
        2,
    )
    coverage = [CoverageProblem("WK051899", "GM0518", ("A1", "A2"))]
    found += run([], [contract(ceiling=None)], duplicates=[dup], coverage=coverage).exceptions
    return found + _funding_findings()


def _funding_findings() -> list[ReconciliationException]:
    """One finding of every funding-form kind (see tests/unit/test_funding_rules.py)."""
    priced = terms(
        "output-based-trajectory",
        start_percent=60,
        segment="B",
        product_codes=frozenset({"45A12"}),
        tariffs=(("45A12", "trajectory", 1_000),),
    )
    found = check(
        priced,
        [
            detail(stage="start", quantity_hundredths=100, amount_cents=700, segment="C"),
            detail(product_code="45B01"),
        ],
        dropped=[
            _stage(1, "start", 600, 1),
            _stage(2, "dropout", 0, 5),
            _stage(3, "completion", 400, 9),
        ],
    )
    found += check(terms("effort-based", tariffs=()), [detail()])
    task = terms("task-based", instalments=((1, 1_000), (2, 1_000)))
    totals = {1: month_total(1, 1, 1_000), 2: month_total(2, 2, 1_500)}
    found += funding_exceptions(2025, 2, totals, dict.fromkeys(totals, task), lambda t: "P")
    return found


FINDINGS = _findings()


def test_the_findings_cover_every_kind() -> None:
    assert {e.kind for e in FINDINGS} == set(EXCEPTION_KINDS)


@pytest.mark.parametrize("exc", FINDINGS, ids=lambda e: f"{e.kind}:{e.subject}")
def test_each_finding_reads_in_dutch(exc: ReconciliationException) -> None:
    detail, lang = dutch_detail(exc)
    subject = dutch_subject(exc)
    assert lang == "nl"
    assert detail
    assert detail != exc.detail
    assert not ENGLISH.search(detail), detail
    assert not ENGLISH.search(subject), subject
    # The codes the English names are named in Dutch too.
    for code in re.findall(r"\b(?:WK\d{6}|GM\d{4}(?:/\d)?|C\d|X9|I-\d)\b", exc.detail):
        assert code in detail, (code, detail)


def test_amounts_and_months_are_written_the_dutch_way() -> None:
    by_kind = {e.kind: dutch_detail(e)[0] for e in FINDINGS}
    assert "€\u00a015,00 uitgegeven tot en met december 2025" in by_kind["over-ceiling"]
    assert "overschreden in april 2025" in by_kind["over-ceiling"]
    assert "herhaalt factuur I-1" in by_kind["duplicate-invoice"]
    assert "€\u00a01.234,56" in by_kind["duplicate-invoice"]
    assert "03-03-2025" in by_kind["duplicate-invoice"]
    assert "in 2 gebieden (A1 en A2) (configuratie)" in by_kind["district-not-in-one-area"]
    assert (
        "€\u00a07,00 geboekt waar 1 traject(en) × €\u00a010,00 × 60 % €\u00a06,00 is"
        in by_kind["tariff-mismatch"]
    )
    assert (
        "februari 2025: verschuldigd €\u00a010,00, betaald €\u00a015,00"
        in (by_kind["instalment-off-schedule"])
    )
    assert "uitgevallen op 05-03-2025" in by_kind["paid-after-dropout"]


def test_a_finding_without_its_values_points_to_the_export_in_dutch() -> None:
    bare = replace(FINDINGS[0], facts={})
    assert dutch_detail(bare) == (WITHOUT_FACTS, "nl")
    assert bare.detail not in WITHOUT_FACTS
    codes = re.findall(r"[A-Z]{2}\d+|[A-Z]-?\d+", bare.subject)
    assert codes
    assert re.findall(r"[A-Z]{2}\d+|[A-Z]-?\d+", dutch_subject(bare)) == codes
    assert dutch_subject(replace(FINDINGS[0], facts={"cause": "no-reference"})) == (
        dutch_subject(bare)
    )
    for finding in FINDINGS:  # every subject the core writes, said without its values
        subject = dutch_subject(replace(finding, facts={}))
        assert not ENGLISH.search(subject), subject
        assert not re.search(r"\b(municipality|specialist|no reference)\b", subject), subject
    over = next(e for e in FINDINGS if e.kind == "over-ceiling")
    broken = replace(over, facts={"contract": "C1", "spent_cents": 1_500})
    assert dutch_detail(broken) == (WITHOUT_FACTS, "nl")


def test_the_notes_name_what_could_not_be_placed_in_dutch() -> None:
    result = reconcile(
        2025,
        12,
        [total(1, reference="", district="")],
        [],
        [LOT1, LOT2],
        AREAS,
        DISTRICTS,
        {},
        [],
        DOMAINS,
    )
    assert result.unattributed_in == ("GM0518",)
    assert result.unallocated_in == ("GM0518",)
    assert dutch_notes(result) == [
        "Uitgaven zonder contract, perceel of bekende wijk, in een gemeente met meer gebieden, "
        "staan per gemeente: GM0518.",
        "Geen vastgestelde verdeling voor 2025 in GM0518.",
    ]
    assert dutch_notes(run([], [contract(ceiling=None)])) == []
