"""Importing spending files: every validation rule, all-or-nothing, once per file."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from populatie.errors import DataError, SpendingImportError
from populatie.spending import service
from populatie.spending.models import Spending, SpendingImportMonth, SpendingMonth
from populatie.spending.service import ImportOutcome, import_spending
from tests.integration.spending_support import (
    HEADER,
    INCLUZIO,
    count,
    row,
    seed_registry,
    snapshot,
    write_csv,
)


@pytest.fixture
def db(engine: Engine) -> Engine:
    seed_registry(engine)
    return engine


def _import(engine: Engine, path: Path, **kwargs: Any) -> ImportOutcome:
    return import_spending(engine, path, user="tester", **kwargs)


def _errors(engine: Engine, path: Path, **kwargs: Any) -> list[dict[str, object]]:
    before = snapshot(engine)
    with pytest.raises(SpendingImportError) as caught:
        _import(engine, path, **kwargs)
    assert snapshot(engine) == before, "a rejected file must leave the database as it was"
    assert "nothing was imported" in caught.value.message
    return caught.value.details


def test_a_valid_file_is_stored_in_cents_with_its_monthly_totals(
    db: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "march.csv",
        [
            row(invoice_reference="A-1", amount="1234.56"),
            row(invoice_reference="A-2", amount="0.01", booking_date="2025-03-31"),
            row(invoice_reference="A-3", amount="-100.00", description="credit note"),
            row(invoice_reference="A-4", amount="12", district="", booking_date="2025-04-01"),
            row(invoice_reference="A-5", amount="+7.5", reference="", domain="access"),
        ],
    )
    outcome = _import(db, path)
    assert outcome.imported
    assert (outcome.rows, outcome.months, outcome.duplicates) == (5, 2, 0)
    assert outcome.amount_cents == 123456 + 1 - 10000 + 1200 + 750
    with db.connect() as conn:
        rows = conn.execute(
            select(Spending.line, Spending.amount_cents, Spending.district_code).order_by(
                Spending.line
            )
        ).all()
        months = conn.execute(
            select(
                SpendingMonth.month,
                SpendingMonth.district_code,
                SpendingMonth.reference,
                SpendingMonth.domain,
                SpendingMonth.amount_cents,
                SpendingMonth.rows,
            ).order_by(SpendingMonth.month, SpendingMonth.district_code, SpendingMonth.domain)
        ).all()
        ranges = conn.execute(
            select(SpendingImportMonth.month, SpendingImportMonth.rows).order_by(
                SpendingImportMonth.month
            )
        ).all()
        audit = conn.execute(text("SELECT action, actor FROM audit_event")).all()
    assert [tuple(r) for r in rows] == [
        (2, 123456, "WK051801"),
        (3, 1, "WK051801"),
        (4, -10000, "WK051801"),
        (5, 1200, None),
        (6, 750, "WK051801"),
    ]
    assert [tuple(m) for m in months] == [
        (3, "WK051801", "", "access", 750, 1),
        (3, "WK051801", "C-1", "specialist", 123456 + 1 - 10000, 3),
        (4, "", "C-1", "specialist", 1200, 1),
    ]
    assert [tuple(r) for r in ranges] == [(3, 4), (4, 1)]
    assert [tuple(a) for a in audit] == [("spending.import", "tester")]


def test_dutch_amounts_with_decimal_comma(db: Engine, tmp_path: Path) -> None:
    header = HEADER.replace(",", ";")
    lines = [
        "2025-05-01;GM0518;WK051801;C-1;access;Incluzio Randstad B.V.;1.234.567,89;N-1;x",
        "2025-05-02;GM0518;WK051801;C-1;access;Incluzio Randstad B.V.;-12,50;N-2;y",
        "2025-05-03;GM0518;WK051801;C-1;access;Incluzio Randstad B.V.;3,00;N-3;z",
    ]
    path = write_csv(tmp_path / "nl.csv", lines, header)
    outcome = _import(db, path, decimal_comma=True)
    assert outcome.amount_cents == 123456789 - 1250 + 300
    # The same amounts read as dot-decimal are refused, with the way out in the reason.
    other = write_csv(tmp_path / "nl2.csv", [line.replace("N-", "M-") for line in lines], header)
    errors = _errors(db, other)
    assert {e["line"] for e in errors} == {2, 3, 4}
    assert all("--decimal-comma" in str(e["reason"]) for e in errors)


def test_the_same_file_again_is_a_no_op_that_says_so(db: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [row(invoice_reference="A-1")])
    first = _import(db, path)
    before = snapshot(db)
    again = _import(db, path)
    assert first.imported
    assert not again.imported
    assert again.import_id == first.import_id
    assert "already imported" in again.summary()
    assert "nothing written" in again.summary()
    assert snapshot(db) == before
    # The same content under another name is the same file.
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    assert not _import(db, copy).imported


BAD_ROWS = [
    pytest.param({"booking_date": "14-03-2025"}, "booking_date", "YYYY-MM-DD", id="date-format"),
    pytest.param({"booking_date": "2025-02-30"}, "booking_date", "no such date", id="no-such-date"),
    pytest.param({"booking_date": "1999-12-31"}, "booking_date", "2000–2099", id="date-range"),
    pytest.param({"municipality": "0518"}, "municipality", "GMnnnn", id="municipality-code"),
    pytest.param(
        {"municipality": "GM0344"},
        "municipality",
        "not a municipality of the region",
        id="municipality-outside-region",
    ),
    pytest.param({"district": "WK51"}, "district", "WKnnnnnn", id="district-code"),
    pytest.param(
        {"district": "WK050301"},
        "district",
        "is not in GM0518",
        id="district-of-another-municipality",
    ),
    pytest.param({"domain": "youth"}, "domain", "not a domain", id="domain"),
    pytest.param({"provider": ""}, "provider", "provider is empty", id="provider-empty"),
    pytest.param({"amount": "twelve"}, "amount", "not a euro amount", id="amount-text"),
    pytest.param({"amount": "12.345"}, "amount", "fraction of a cent", id="amount-fraction"),
    pytest.param({"amount": "0.00"}, "amount", "zero", id="amount-zero"),
    pytest.param({"amount": "2000000000.00"}, "amount", "1.000.000.000", id="amount-too-large"),
    pytest.param({"invoice_reference": ""}, "invoice_reference", "empty", id="invoice-empty"),
    pytest.param(
        {"invoice_reference": "X" * 65},
        "invoice_reference",
        "longer than 64",
        id="invoice-too-long",
    ),
    pytest.param({"reference": "R" * 65}, "reference", "longer than 64", id="reference-too-long"),
    pytest.param({"provider": "P" * 201}, "provider", "longer than 200", id="provider-too-long"),
    pytest.param(
        {"description": "D" * 501}, "description", "longer than 500", id="description-too-long"
    ),
    pytest.param(
        {"description": "client 111222333 seen"}, "description", "BSN", id="bsn-in-description"
    ),
    pytest.param({"description": "client 111.222.333"}, "description", "BSN", id="bsn-dotted"),
    pytest.param({"provider": "111 222 333"}, "provider", "BSN", id="bsn-in-provider"),
    pytest.param(
        {"description": "Jan Jansen geb. 12-03-2014"}, "description", "date", id="birth-date"
    ),
    pytest.param({"description": "mail jan@example.nl"}, "description", "e-mail", id="email"),
    pytest.param({"provider": "Zorg\x01BV"}, "provider", "control character", id="control"),
    pytest.param(
        {"amount": "99999999999999999999.99"}, "amount", "1.000.000.000", id="amount-overflow"
    ),
]


@pytest.mark.parametrize(("spoil", "column", "reason"), BAD_ROWS)
def test_every_row_rule_names_line_column_value_and_reason(
    db: Engine, tmp_path: Path, spoil: dict[str, str], column: str, reason: str
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [row(invoice_reference="OK-1"), row(**{"invoice_reference": "BAD-1", **spoil})],
    )
    errors = _errors(db, path)
    assert len(errors) == 1, errors
    (error,) = errors
    assert error["line"] == 3
    assert error["column"] == column
    value = next(iter(spoil.values()))
    if "personal data" in str(error["reason"]):
        assert value not in str(error["value"])  # never repeated in full
        assert value not in str(error["reason"])
    elif "control character" in str(error["reason"]):
        assert error["value"] == value.replace("\x01", "\\x01")
    else:
        assert error["value"] == value
    assert reason in str(error["reason"])


def test_a_nine_digit_number_that_is_no_bsn_is_fine(db: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ok.csv", [row(description="order 123456789")])
    assert _import(db, path).imported  # 123456789 fails the eleven-test


BAD_FILES = [
    pytest.param(HEADER + ",BSN", "BSN", "personal data", id="bsn-column"),
    pytest.param(HEADER + ",Cliëntnaam", "Cliëntnaam", "personal data", id="client-name"),
    pytest.param(HEADER + ",geboortedatum", "geboortedatum", "birth date", id="birth-date"),
    pytest.param(HEADER + ",date_of_birth", "date_of_birth", "birth date", id="date-of-birth"),
    pytest.param(HEADER + ",postcode", "postcode", "address", id="postcode"),
    pytest.param(HEADER + ",cost_centre", "cost_centre", "unknown column", id="unknown-column"),
    pytest.param(
        HEADER.replace("provider,", ""),
        "provider",
        "required column is missing",
        id="missing-column",
    ),
    pytest.param(HEADER + ",domain", "domain", "more than once", id="duplicate-column"),
]


@pytest.mark.parametrize(("header", "column", "reason"), BAD_FILES)
def test_header_rules_refuse_the_file(
    db: Engine, tmp_path: Path, header: str, column: str, reason: str
) -> None:
    extra = header.count(",") - HEADER.count(",")
    data_row = row() + ",x" * max(extra, 0)
    if extra < 0:
        data_row = row().replace(f",{INCLUZIO}", "")
    path = write_csv(tmp_path / "bad.csv", [data_row], header)
    errors = _errors(db, path)
    assert any(
        e["line"] == 1 and e["column"] == column and reason in str(e["reason"]) for e in errors
    ), errors


def test_unreadable_files_are_refused(db: Engine, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty" in str(_errors(db, empty)[0]["reason"])
    header_only = write_csv(tmp_path / "header.csv", [])
    assert "no rows" in str(_errors(db, header_only)[0]["reason"])
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "\n" + row(description="cliënt")).encode("latin-1"))
    (error,) = _errors(db, latin1)
    assert error["line"] == 2
    assert "UTF-8" in str(error["reason"])
    short = write_csv(tmp_path / "short.csv", [row(), "2025-01-01,GM0518"])
    (error,) = _errors(db, short)
    assert error["line"] == 3
    assert "2 fields" in str(error["reason"])


def test_every_error_of_a_file_is_listed_at_once(db: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "many.csv",
        [
            row(invoice_reference="D-1"),
            row(invoice_reference="D-1", amount='"1,5"'),
            row(invoice_reference="D-3", domain="care", booking_date="2025-13-01"),
            row(invoice_reference="D-4"),
        ],
    )
    errors = _errors(db, path)
    assert [(e["line"], e["column"]) for e in errors] == [
        (3, "amount"),
        (3, "invoice_reference"),
        (4, "booking_date"),
        (4, "domain"),
    ]
    assert "also on line 2" in str(errors[1]["reason"])


def test_an_invoice_imported_before_is_an_error(db: Engine, tmp_path: Path) -> None:
    _import(db, write_csv(tmp_path / "a.csv", [row(invoice_reference="I-1")]))
    again = write_csv(
        tmp_path / "b.csv",
        [row(invoice_reference="I-2"), row(invoice_reference="I-1", amount="9.99")],
    )
    (error,) = _errors(db, again)
    assert (error["line"], error["column"], error["value"]) == (3, "invoice_reference", "I-1")
    assert "imported before (a.csv line 2)" in str(error["reason"])
    # Listed also beside other errors of the file.
    both = write_csv(
        tmp_path / "c.csv",
        [row(invoice_reference="I-1"), row(invoice_reference="I-3", domain="x")],
    )
    assert [e["column"] for e in _errors(db, both)] == ["invoice_reference", "domain"]


def test_a_file_failing_half_way_in_the_database_leaves_it_as_it_was(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last row repeats an invoice of an earlier file. Validation cannot see that (the
    earlier file is in the database); the unique key stops the write after the import row,
    the monthly totals and most rows were sent: all of it must be rolled back."""
    _import(db, write_csv(tmp_path / "first.csv", [row(invoice_reference="DUP")]))
    before = snapshot(db)
    sent: list[int] = []
    original_insert, original_copy = service._insert_rows, service._copy_rows

    def counting(original: Any) -> Any:
        def wrapper(*args: Any) -> None:
            *rest, progress = args

            class Counter:
                def phase(self, name: str, total: int | None = None) -> None: ...

                def advance(self, n: int) -> None:
                    sent.append(n)
                    progress.advance(n)

            original(*rest, Counter())

        return wrapper

    monkeypatch.setattr(service, "CHUNK_ROWS", 7)
    monkeypatch.setattr(service, "_insert_rows", counting(original_insert))
    monkeypatch.setattr(service, "_copy_rows", counting(original_copy))
    rows = [
        row(invoice_reference=f"N-{i}", booking_date=f"2025-0{1 + i % 9}-10") for i in range(40)
    ]
    path = write_csv(tmp_path / "second.csv", [*rows, row(invoice_reference="DUP")])
    errors = _errors(db, path)
    assert sum(sent) >= 35, "the rows before the bad one reached the database"
    assert [(e["line"], e["value"]) for e in errors] == [(42, "DUP")]
    assert snapshot(db) == before
    assert count(db, "spending") == 1


def test_two_imports_of_the_same_file_at_once_make_one(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "race.csv", [row(invoice_reference=f"R-{i}") for i in range(200)])
    # Both imports pass the "imported before?" check before either writes.
    barrier = threading.Barrier(2, timeout=30)
    parse = service.parse_spending

    def parse_then_wait(*args: Any, **kwargs: Any) -> Any:
        parsed = parse(*args, **kwargs)
        barrier.wait()
        return parsed

    monkeypatch.setattr(service, "parse_spending", parse_then_wait)
    outcomes: list[ImportOutcome] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            outcomes.append(_import(db, path))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert sorted(o.imported for o in outcomes) == [False, True]
    assert count(db, "spending_import") == 1
    assert count(db, "spending") == 200
    with db.connect() as conn:
        assert conn.execute(text("SELECT sum(rows) FROM spending_month")).scalar_one() == 200


def test_text_is_stored_exactly_whatever_needs_escaping(db: Engine, tmp_path: Path) -> None:
    """Quotes, separators, backslashes, tabs and line breaks in values (which take the slower
    paths: the csv module, row-by-row COPY) come back as they were."""
    texts = ["plain", "with, comma", 'say "hi"', "back\\slash \\N", "tab\there", "two\nlines"]
    out = tmp_path / "odd.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER.split(","))
        for i, value in enumerate(texts):
            fields = dict(zip(HEADER.split(","), row().split(","), strict=True))
            writer.writerow([*list(fields.values())[:7], f"T-{i}", value])
    _import(db, out)
    with db.connect() as conn:
        stored = conn.execute(
            select(Spending.description).order_by(Spending.invoice_reference)
        ).scalars()
        assert list(stored) == texts


def test_import_needs_the_registry(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="populatie load"):
        _import(engine, write_csv(tmp_path / "a.csv", [row()]))


def test_progress_is_reported_per_chunk(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CHUNK_ROWS", 10)
    path = write_csv(tmp_path / "p.csv", [row(invoice_reference=f"P-{i}") for i in range(25)])
    seen: list[tuple[str, object]] = []

    class Recorder:
        def phase(self, name: str, total: int | None = None) -> None:
            seen.append((name, total))

        def advance(self, rows: int) -> None:
            seen.append(("advance", rows))

    _import(db, path, progress=Recorder())
    assert seen == [
        ("checking", None),
        ("writing", 25),
        ("advance", 10),
        ("advance", 10),
        ("advance", 5),
    ]
