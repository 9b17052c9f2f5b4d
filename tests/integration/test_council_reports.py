"""Council reports: a frozen snapshot with its content hash, reproduced byte for byte.

The snapshot is rebuilt independently and hashed here (SHA-256 over sorted, compact JSON);
the XLSX and the PDF are exported twice, far enough apart for any clock in them to show, and
compared byte for byte; the PDF is read back (pages and text) with pypdf.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.app import create_app
from populatie.auth.models import AuditEvent
from populatie.configuration import load_config
from populatie.council_reports.models import CouncilReport
from populatie.council_reports.service import create_report, export_report, get_report
from populatie.council_reports.snapshot import build_snapshot, canonical_json, content_hash
from populatie.db import session_scope
from populatie.kpis.service import register_of
from tests.integration.api_support import (
    CONFIG,
    KRACHT,
    RONDOMJOU,
    World,
    adopt_as,
    build_world,
)

REGISTER = register_of(CONFIG)


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, spending=True)


def _create(engine: Engine, to_month: int = 12) -> Any:
    return create_report(
        engine, "GM0518", 2025, to_month, REGISTER, load_config(CONFIG), actor="t", role="finance"
    )


def _cells(book: Any) -> list[str]:
    return [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row]


def _stored(engine: Engine, report_id: int) -> CouncilReport:
    with Session(engine) as session:
        report = get_report(session, report_id)
        session.expunge(report)
        return report


def test_the_snapshot_is_frozen_with_its_hash_and_the_same_content_is_one_report(
    world: World,
) -> None:
    first = _create(world.engine)
    assert first.created
    with Session(world.engine) as session:
        again = build_snapshot(session, "GM0518", 2025, 12, REGISTER, load_config(CONFIG))
    text = json.dumps(again, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode()).hexdigest() == first.report.content_hash
    assert first.report.snapshot == text
    second = _create(world.engine)
    assert not second.created
    assert second.report.id == first.report.id
    other_period = _create(world.engine, to_month=6)
    assert other_period.created
    assert other_period.report.content_hash != first.report.content_hash
    with Session(world.engine) as session:
        events = (
            session.execute(
                select(AuditEvent).where(
                    col(AuditEvent.action) == "council-report.create",
                    col(AuditEvent.actor) == "t",
                )
            )
            .scalars()
            .all()
        )
    assert len(events) == 2
    snapshot = json.loads(first.report.snapshot)
    assert snapshot["run"]["run_id"] == world.adopted_2025
    assert {k["partnership"] for k in snapshot["kpis"]} == {KRACHT, RONDOMJOU}


def test_the_snapshot_holds_the_reconciliation_of_the_municipality(world: World) -> None:
    report = _create(world.engine).report
    snapshot = json.loads(report.snapshot)
    with TestClient(app=create_app(world.engine)) as client:
        api = client.get(
            "/api/reconciliation?year=2025&to_month=12", headers=world.headers("auditor")
        ).json()
    expected = [
        (x["contract"], x["area"], x["domain"], x["spent_cents"], x["ceiling_cents"])
        for x in api["lines"]
        if x["municipality"] == "GM0518"
    ]
    got = [
        (x["contract"], x["area"], x["domain"], x["spent_cents"], x["ceiling_cents"])
        for x in snapshot["reconciliation"]["lines"]
    ]
    assert got == expected
    assert sum(x[3] for x in got) > 0
    # every withheld KPI figure carries no value
    points = [p for k in snapshot["kpis"] for s in k["series"] for p in s["points"]]
    assert points
    assert all(p["value"] is None for p in points if p["suppressed"])


def test_the_xlsx_comes_out_byte_for_byte_the_same_later(world: World) -> None:
    report = _stored(world.engine, _create(world.engine).report.id)
    first = export_report(report, "xlsx")
    time.sleep(2.1)  # zip entries keep time to two seconds
    second = export_report(_stored(world.engine, report.id), "xlsx")
    assert first == second
    book = load_workbook(io.BytesIO(first))
    assert book.sheetnames == [
        "Toelichting", "Vastgestelde budgetten", "Verantwoording", "Signaleringen", "KPI's",
    ]  # fmt: skip
    assert book.properties.created == report.created_at.replace(tzinfo=None)
    about = {r[0]: r[1] for r in book["Toelichting"].iter_rows(min_row=2, values_only=True)}
    assert about["Inhoudshash (SHA-256)"] == report.content_hash
    budgets = list(book["Vastgestelde budgetten"].iter_rows(min_row=2, values_only=True))
    snapshot = json.loads(report.snapshot)
    assert round(sum(r[-1] for r in budgets) * 100) == snapshot["run"]["total_cents"]


def test_a_changed_snapshot_is_refused_rather_than_printed(world: World) -> None:
    report = _stored(world.engine, _create(world.engine).report.id)
    report.snapshot = report.snapshot.replace('"year":2025', '"year":2024', 1)
    with pytest.raises(Exception, match="no longer matches its hash"):
        export_report(report, "xlsx")


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium on the PATH")
def test_the_pdf_is_printed_read_back_and_the_same_bytes_later(world: World) -> None:
    from pypdf import PdfReader

    _, name = adopt_as(world, "Team Den Haag")
    report = _stored(world.engine, _create(world.engine).report.id)
    first = export_report(report, "pdf")
    time.sleep(1.1)  # Chromium dates its output to the second
    second = export_report(report, "pdf")
    assert first == second
    pdf = PdfReader(io.BytesIO(first))
    assert len(pdf.pages) >= 3  # the budgets, the reconciliation and the KPIs each on a page
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Raadsrapportage jeugdhulp" in text
    assert "'s-Gravenhage" in text or "Gravenhage" in text
    assert report.content_hash in text.replace("\n", "")
    assert "Resultaten" in text
    assert name in " ".join(text.split())  # the author in words, wherever the line broke
    assert "token:" not in text
    stamp = report.created_at.strftime("D:%Y%m%d%H%M%S")
    assert pdf.metadata is not None
    assert str(pdf.metadata.get("/CreationDate", "")).startswith(stamp)


def test_finance_creates_the_others_read_a_consortium_sees_nothing(world: World) -> None:
    body = {"municipality": "GM0518", "year": 2025, "to_month": 9}
    with TestClient(app=create_app(world.engine)) as client:
        for caller, status in (("planner", 403), ("auditor", 403), ("kracht", 404)):
            response = client.post("/api/council-reports", json=body, headers=world.headers(caller))
            assert response.status_code == status, caller
        made = client.post("/api/council-reports", json=body, headers=world.headers("finance"))
        assert made.status_code == 200, made.text
        report = made.json()
        assert report["created"] is True
        again = client.post("/api/council-reports", json=body, headers=world.headers("finance"))
        assert again.json()["id"] == report["id"]
        assert again.json()["created"] is False
        for caller in ("finance", "planner", "auditor"):
            listed = client.get("/api/council-reports", headers=world.headers(caller))
            ids = [r["id"] for r in listed.json()["items"]]
            assert ids[0] == report["id"]  # newest first; the world's own report after it
            assert len(ids) == 2
        assert (
            client.get("/api/council-reports", headers=world.headers("kracht")).status_code == 404
        )
        path = f"/api/council-reports/{report['id']}/xlsx"
        download = client.get(path, headers=world.headers("planner"))
        assert download.status_code == 200
        assert download.content == export_report(_stored(world.engine, report["id"]), "xlsx")
        assert client.get(path, headers=world.headers("rondomjou")).status_code == 404
        missing = client.get("/api/council-reports/999/xlsx", headers=world.headers("auditor"))
        assert missing.status_code == 404
        bad = client.post(
            "/api/council-reports",
            json={"municipality": "GM9999", "year": 2025},
            headers=world.headers("finance"),
        )
        assert bad.status_code == 404


def test_the_command_line_creates_lists_and_exports(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from populatie import cli
    from populatie.db import get_engine
    from populatie.settings import get_settings

    url = world.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("POPULATIE_DATABASE_URL", url)
    monkeypatch.setenv("POPULATIE_CONFIG_DIR", str(CONFIG))
    monkeypatch.setenv("POPULATIE_USER", "raadsgriffie")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        args = ["council-report", "create", "--municipality", "GM0518", "--year", "2025"]
        assert cli.run([*args, "--to-month", "6"]) == 0
        said = capsys.readouterr().out
        report_id = int(said.split()[2])
        assert "created" in said
        assert cli.run([*args, "--to-month", "6"]) == 0
        assert "stored before" in capsys.readouterr().out
        assert cli.run(["council-report", "list", "--municipality", "GM0518"]) == 0
        assert capsys.readouterr().out.split()[0] == str(report_id)
        out = tmp_path / "rapport.xlsx"
        assert cli.run(["council-report", "export", str(report_id), "--format", "xlsx",
                        "--out", str(out)]) == 0  # fmt: skip
        assert out.read_bytes() == export_report(_stored(world.engine, report_id), "xlsx")
    finally:
        get_engine().dispose()  # the command's own engine: close its pooled connections
        get_settings.cache_clear()
        get_engine.cache_clear()
    with Session(world.engine) as session:
        event = session.execute(
            select(AuditEvent).where(col(AuditEvent.target) == f"council_report/{report_id}")
        ).scalar_one()
    assert (event.actor, event.role) == ("raadsgriffie", "cli")


def test_the_report_names_the_runs_author_in_words_and_keeps_the_token_for_the_audit(
    world: World,
) -> None:
    actor, name = adopt_as(world, "Team Den Haag")
    report = _stored(world.engine, _create(world.engine).report.id)
    snapshot = json.loads(report.snapshot)
    assert snapshot["format"] == 2
    assert snapshot["run"]["adopted_by"] == actor
    assert actor.startswith("token:")
    assert snapshot["run"]["adopted_by_name"] == name
    book = load_workbook(io.BytesIO(export_report(report, "xlsx")))
    about = {r[0]: r[1] for r in book["Toelichting"].iter_rows(min_row=2, values_only=True)}
    assert about["Vastgesteld door"] == name
    assert not [cell for cell in _cells(book) if "token:" in cell]
    html = export_report(report, "html").decode("utf-8")
    assert f"door {name}." in html
    assert "token:" not in html


# A snapshot as reports were frozen before they named the run's author in words (format 1).
FORMAT_1: dict[str, Any] = {
    "format": 1,
    "municipality": {"code": "GM0518", "name": "'s-Gravenhage"},
    "year": 2025,
    "to_month": 6,
    "run": {
        "run_id": "run-2025-a",
        "scenario": None,
        "adopted_at": "2025-01-15T09:30:00",
        "adopted_by": "token:3 (finance)",
        "content_hash": "ab" * 32,
        "areas": [
            {
                "area": "GM0518-A1",
                "name": "Centrum",
                "partnership": "Kracht voor Jeugd en Gezin",
                "amounts_cents": {"access": 250_000_00, "prevention": 100_000_00,
                                  "specialist": 650_000_01},
                "total_cents": 1_000_000_01,
            },
        ],
        "total_cents": 1_000_000_01,
    },
    "reconciliation": {
        "to": "2025-06",
        "forecast_method": "run-rate",
        "lines": [
            {
                "contract": "GM0518/P1", "lot": "GM0518/P1", "area": "GM0518-A1",
                "partnership": "Kracht voor Jeugd en Gezin", "domain": "total",
                "allocated_cents": 1_000_000_01, "ceiling_cents": 900_000_00,
                "spent_cents": 480_000_00, "forecast_cents": 960_000_00,
                "remaining_cents": 420_000_00, "status": "forecast over ceiling",
            },
        ],
        "exceptions": [
            {
                "kind": "duplicate-invoice", "description": "duplicate invoices",
                "subject": "invoice F-1", "subject_nl": "factuur F-1",
                "amount_cents": 1_234_56, "rows": 2, "detail_nl": "twee keer geboekt",
                "partnership": "Kracht voor Jeugd en Gezin",
            },
        ],
    },
    "kpis": [
        {
            "partnership": "Kracht voor Jeugd en Gezin",
            "series": [
                {
                    "segment": "B", "kpi": "wait", "name_nl": "Wachttijd", "unit": "weken",
                    "direction": "lower", "category": "",
                    "points": [
                        {"period": "2025-Q1", "value": 6.5, "suppressed": False, "norm": 4.0,
                         "norm_illustrative": True, "outside_norm": True},
                        {"period": "2025-Q2", "value": None, "suppressed": True, "norm": 4.0,
                         "norm_illustrative": True, "outside_norm": None},
                    ],
                    "signals": 1,
                },
            ],
        },
    ],
    "suppressed_below": 10,
}  # fmt: skip
#: SHA-256 of its workbook, and of its HTML without the inlined style sheets, as they were
#: rendered before the name was frozen (report 7, made 2025-07-01 12:00 UTC). Should they
#: differ, stored reports no longer reproduce their files: mend the rendering, not these.
FORMAT_1_XLSX = "e173ab0a44e3f7c5fc3ac2a003d2b37cb965fee5e8b97f6d47b378e972bc3cab"
FORMAT_1_HTML = "400de21f3733712130e182a5d7e08c4a8a8e183cb134a52dd9bfcf1773f37f28"


def _without_styles(html: str) -> bytes:
    return re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL).encode("utf-8")


def test_a_report_made_before_the_author_was_named_renders_as_it_was(engine: Engine) -> None:
    text = canonical_json(FORMAT_1)
    with session_scope(engine) as session:
        session.add(
            CouncilReport(
                id=7,
                municipality_code="GM0518",
                year=2025,
                to_month=6,
                content_hash=content_hash(text),
                snapshot=text,
                created_at=datetime(2025, 7, 1, 12, 0, tzinfo=UTC),
                created_by="token:3 (finance)",
            )
        )
    report = _stored(engine, 7)
    assert report.snapshot == text
    assert report.content_hash == content_hash(text)
    xlsx = export_report(report, "xlsx")
    html = export_report(report, "html").decode("utf-8")
    assert hashlib.sha256(xlsx).hexdigest() == FORMAT_1_XLSX, "the old report's workbook changed"
    assert hashlib.sha256(_without_styles(html)).hexdigest() == FORMAT_1_HTML, (
        "the old report's page changed"
    )
    # what that means for a reader: the author as stored, and no row the workbook had not
    assert "vastgesteld op 2025-01-15 door token:3 (finance)." in html
    labels = [r[0] for r in load_workbook(io.BytesIO(xlsx))["Toelichting"].iter_rows(
        min_row=2, values_only=True)]  # fmt: skip
    assert "Vastgestelde run" in labels
    assert "Vastgesteld door" not in labels
