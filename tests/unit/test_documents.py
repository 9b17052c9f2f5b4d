"""Files whose bytes depend on their content alone: the times a writer stamps are fixed."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook, load_workbook

from populatie.documents import PdfPrintError, fixed_pdf, fixed_xlsx

MOMENT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def _book() -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Gemeente", "Bedrag"])
    sheet.append(["GM0518", 12.5])
    return book


def test_a_workbook_saved_twice_seconds_apart_has_the_same_bytes() -> None:
    first = fixed_xlsx(_book(), MOMENT)
    time.sleep(2.1)  # a zip entry keeps its time to two seconds
    assert fixed_xlsx(_book(), MOMENT) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 3, 4, 5, 6, 6)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2026-03-04T05:06:07Z") == 2
    book = load_workbook(io.BytesIO(first))
    assert book.properties.created == MOMENT.replace(tzinfo=None)
    assert book.properties.modified == MOMENT.replace(tzinfo=None)
    assert fixed_xlsx(_book(), MOMENT.replace(year=2027)) != first


def test_a_pdf_keeps_its_length_and_gets_the_given_dates() -> None:
    pdf = (
        b"%PDF-1.4\n1 0 obj\n<</Producer (Skia/PDF m156)\n/CreationDate (D:20261202101314+00'00')"
        b"\n/ModDate (D:20261202101315+00'00')>>\nendobj\nstartxref\n9\n%%EOF\n"
    )
    fixed = fixed_pdf(pdf, MOMENT)
    assert len(fixed) == len(pdf)
    assert fixed.count(b"(D:20260304050607+00'00')") == 2
    assert b"20261202" not in fixed
    assert fixed_pdf(fixed, MOMENT) == fixed


def test_a_pdf_date_of_another_length_is_refused_rather_than_shifting_offsets() -> None:
    with pytest.raises(PdfPrintError):
        fixed_pdf(b"/CreationDate (D:20261202101314Z)", MOMENT)
