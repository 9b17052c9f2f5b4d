"""KPI figures end to end: the import (CSV, XLSX, errors, idempotence), the views per role,
the suppression of counts under 10 on everything a consortium can reach, and signals.

Expected values are computed here from the figures written in each test, not copied from
output.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.app import create_app
from populatie.auth.models import AuditEvent
from populatie.core.funnel import funnel, limits
from populatie.db import session_scope
from populatie.kpis.models import KpiFigure, KpiImport
from populatie.kpis.parsing import COLUMNS
from populatie.kpis.service import FigureImportError, import_figures, register_of
from tests.conftest import ROOT
from tests.integration.api_support import KRACHT, RONDOMJOU, issue_tokens
from tests.integration.web_support import page_client, sign_in

REGISTER = register_of(ROOT / "config")

# Figures of Kracht in segment C and B. The small ones (a count under 10) must never reach
# Kracht's consortium; each carries a number found nowhere else.
SMALL_COST = (
    "2025-01",
    KRACHT,
    "",
    "C",
    "",
    "GM0518-L1",
    "cost_per_client",
    "",
    "1234567",
    "7",
    "",
)
LATER_COST = (
    "2025-02",
    KRACHT,
    "",
    "C",
    "",
    "GM0518-L1",
    "cost_per_client",
    "",
    "5000000",
    "50",
    "",
)
SMALL_DROPOUT = ("2025-03", KRACHT, "", "C", "", "GM0518-L1", "dropout", "", "5", "20", "")
LARGE_DROPOUT = ("2025-04", KRACHT, "", "C", "", "GM0518-L1", "dropout", "", "30", "100", "")
COST = "cost_per_client"
PROVIDERS = [
    ("2025-06", KRACHT, "Incluzio Randstad B.V.", "B", "", "", "dropout", "", "20", "200", ""),
    ("2025-06", KRACHT, "Mentaal Cure B.V.", "B", "", "", "dropout", "", "4", "37", ""),
    ("2025-06", KRACHT, "Impegno jeugd en gezin B.V.", "B", "", "", "dropout", "", "30", "150", ""),
    ("2025-06", KRACHT, "Incluzio Randstad B.V.", "B", "", "", COST, "", "3000000", "20", ""),
    ("2025-06", KRACHT, "Mentaal Cure B.V.", "B", "", "", COST, "", "777777", "6", ""),
    ("2025-06", KRACHT, "Impegno jeugd en gezin B.V.", "B", "", "", COST, "", "4000000", "25", ""),
]  # fmt: skip
OTHER = ("2025-01", RONDOMJOU, "", "C", "", "GM0518-L2", "active_clients", "", "987654", "", "")
ALL_ROWS = [SMALL_COST, LATER_COST, SMALL_DROPOUT, LARGE_DROPOUT, *PROVIDERS, OTHER]


def csv_bytes(rows: list[tuple[str, ...]], header: tuple[str, ...] = COLUMNS) -> bytes:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode()


def figures(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(KpiFigure)).scalar_one())


@pytest.fixture
def tokens(loaded: Engine) -> dict[str, str]:
    with session_scope(loaded) as session:
        return issue_tokens(session)


@pytest.fixture
def client(loaded: Engine, tokens: dict[str, str]) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(app=create_app(loaded)) as c:
        yield c


def h(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


def load_all(engine: Engine) -> None:
    import_figures(engine, csv_bytes(ALL_ROWS), "figures.csv", REGISTER, actor="t", role="cli")


# --- the import ------------------------------------------------------------------------------


def test_a_file_is_imported_once_and_the_second_time_changes_nothing(loaded: Engine) -> None:
    data = csv_bytes(ALL_ROWS)
    first = import_figures(loaded, data, "a.csv", REGISTER, actor="t", role="cli")
    assert first.imported
    assert first.rows == len(ALL_ROWS)
    assert figures(loaded) == len(ALL_ROWS)
    again = import_figures(loaded, data, "a-copy.csv", REGISTER, actor="t", role="cli")
    assert not again.imported
    assert again.import_id == first.import_id
    assert figures(loaded) == len(ALL_ROWS)
    with Session(loaded) as s:
        assert s.execute(select(func.count()).select_from(KpiImport)).scalar_one() == 1
        events = (
            s.execute(select(AuditEvent).where(col(AuditEvent.action) == "kpis.import"))
            .scalars()
            .all()
        )
    assert len(events) == 1
    assert events[0].detail["rows"] == len(ALL_ROWS)
    # an area's figure takes the area's partnership and municipality
    with Session(loaded) as s:
        stored = s.execute(
            select(KpiFigure).where(col(KpiFigure.kpi_code) == "active_clients")
        ).scalar_one()
    assert (stored.partnership_name, stored.municipality_code) == (RONDOMJOU, "GM0518")


def test_a_workbook_is_read_like_a_csv(loaded: Engine) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    sheet.append(["2025-Q2", KRACHT, "", "B", "GM0518", "", "goals_met", "", 80, 100, None])
    sheet.append(["2025-Q2", KRACHT, "", "B", "", "", "throughput_median", "", None, 40, 212.5])
    out = io.BytesIO()
    book.save(out)
    outcome = import_figures(loaded, out.getvalue(), "f.xlsx", REGISTER, actor="t", role="cli")
    assert outcome.rows == 2
    with Session(loaded) as s:
        median = s.execute(
            select(KpiFigure).where(col(KpiFigure.kpi_code) == "throughput_median")
        ).scalar_one()
    assert (median.value_milli, median.denominator, median.start_month, median.months) == (
        212500,
        40,
        4,
        3,
    )


def test_every_error_is_named_and_nothing_is_written(loaded: Engine) -> None:
    rows = [
        ("2025-13", KRACHT, "", "B", "", "", "dropout", "", "1", "10", ""),  # line 2
        ("2025-01", "Elders", "", "B", "", "", "dropout", "", "1", "10", ""),  # line 3
        ("2025-01", KRACHT, "", "Z", "", "", "dropout", "", "1", "10", ""),  # line 4
        ("2025-01", KRACHT, "", "B", "", "", "nonsense", "", "1", "10", ""),  # line 5
        ("2025-01", KRACHT, "", "B", "", "", "dropout", "", "1.5", "10", ""),  # line 6
        ("2025-01", KRACHT, "", "B", "", "", "dropout", "", "11", "10", ""),  # line 7
        ("2025-01", KRACHT, "", "B", "", "", "throughput_median", "", "", "10", ""),  # line 8
        ("2025-01", KRACHT, "", "B", "", "", "product_mix", "", "3", "10", ""),  # line 9
        ("2025-01", KRACHT, "", "B", "", "GM0518-L2", "dropout", "", "1", "10", ""),  # line 10
        ("2025-01", "", "", "B", "", "", "dropout", "", "1", "10", ""),  # line 11
        ("2025-02", KRACHT, "", "B", "", "", "dropout", "", "1", "10", ""),  # line 12: fine
        ("2025-02", KRACHT, "", "B", "", "", "dropout", "", "2", "10", ""),  # line 13: twice
        ("2025-02", KRACHT, "", "B", "", "", "dropout", "", "2", "0", ""),  # line 14 (and twice)
    ]
    with pytest.raises(FigureImportError) as caught:
        import_figures(loaded, csv_bytes(rows), "bad.csv", REGISTER, actor="t", role="cli")
    got = {(e["line"], e["column"]) for e in caught.value.details}
    for line, column in [
        (2, "period"),
        (3, "partnership"),
        (4, "segment"),
        (5, "kpi"),
        (6, "numerator"),
        (7, "numerator"),
        (8, "value"),
        (9, "category"),
        (10, "area"),
        (11, "partnership"),
        (13, "kpi"),
        (14, "denominator"),
    ]:
        assert (line, column) in got, (line, column, caught.value.details)
    assert not any(e["line"] == 12 for e in caught.value.details)
    for e in caught.value.details:
        assert set(e) == {"line", "column", "value", "reason"}
        assert e["reason"]
    assert figures(loaded) == 0
    with Session(loaded) as s:
        assert s.execute(select(func.count()).select_from(KpiImport)).scalar_one() == 0


def test_personal_data_is_refused_by_column_and_by_value(loaded: Engine) -> None:
    header = (*COLUMNS, "geboortedatum")
    with pytest.raises(FigureImportError) as by_column:
        import_figures(
            loaded, csv_bytes([(*LATER_COST, "")], header), "p.csv", REGISTER, actor="t", role="cli"
        )
    assert by_column.value.details[0]["column"] == "geboortedatum"
    named = ("2025-01", KRACHT, "Jan 111222333", "B", "", "", "dropout", "", "1", "10", "")
    with pytest.raises(FigureImportError) as by_value:
        import_figures(loaded, csv_bytes([named]), "p.csv", REGISTER, actor="t", role="cli")
    [error] = by_value.value.details
    assert error["column"] == "provider"
    assert "citizen service number" in str(error["reason"])
    assert "111222333" not in str(error["value"])  # the error does not repeat it
    assert figures(loaded) == 0


def test_a_figure_imported_before_is_an_error_naming_its_file(loaded: Engine) -> None:
    import_figures(loaded, csv_bytes([LATER_COST]), "first.csv", REGISTER, actor="t", role="cli")
    changed = (*LATER_COST[:8], "6000000", "50", "")
    with pytest.raises(FigureImportError) as caught:
        import_figures(
            loaded, csv_bytes([SMALL_COST, changed]), "second.csv", REGISTER, actor="t", role="cli"
        )
    [error] = caught.value.details
    assert error["line"] == 3
    assert "first.csv line 2" in str(error["reason"])
    assert figures(loaded) == 1


def test_the_upload_is_for_finance_only(client: TestClient, tokens: dict[str, str]) -> None:  # type: ignore[type-arg]
    files = {"file": ("f.csv", csv_bytes(ALL_ROWS), "text/csv")}
    assert (
        client.post("/api/kpis/figures", files=files, headers=h(tokens, "planner")).status_code
        == 403
    )
    assert (
        client.post("/api/kpis/figures", files=files, headers=h(tokens, "kracht")).status_code
        == 404
    )
    ok = client.post("/api/kpis/figures", files=files, headers=h(tokens, "finance"))
    assert ok.status_code == 200
    assert ok.json()["imported"] is True
    again = client.post("/api/kpis/figures", files=files, headers=h(tokens, "finance"))
    assert again.json()["imported"] is False
    wrong = csv_bytes([("2025-1", KRACHT, "", "B", "", "", "dropout", "", "1", "10", "")])
    bad = client.post(
        "/api/kpis/figures",
        files={"file": ("b.csv", wrong, "text/csv")},
        headers=h(tokens, "finance"),
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["column"] == "period"


# --- views, scope and suppression --------------------------------------------------------------

READABLE = [
    "/api/kpis",
    "/api/kpis/signals",
    "/api/kpis/funnel?kpi=dropout&segment=B",
    "/api/kpis/providers?kpi=cost_per_client&segment=B",
    "/api/kpis/export.csv",
]


def _series(body: dict[str, object], kpi: str, segment: str) -> dict[str, object]:
    [found] = [s for s in body["series"] if s["kpi"] == kpi and s["segment"] == segment]  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


def test_finance_sees_every_figure_and_the_consortium_not_the_small_ones(
    loaded: Engine,
    client: TestClient,  # type: ignore[type-arg]
    tokens: dict[str, str],
) -> None:
    load_all(loaded)
    full = client.get("/api/kpis", headers=h(tokens, "finance")).json()
    cost = _series(full, "cost_per_client", "C")
    first = cost["points"][0]  # type: ignore[index]
    assert first["value"] == round(1234567 / 7 / 100, 3)
    assert (first["numerator"], first["denominator"], first["suppressed"]) == (1234567, 7, False)
    assert cost["trend"]["change"] == round(
        round(5000000 / 50 / 100, 3) - round(1234567 / 7 / 100, 3), 3
    )  # type: ignore[index]
    assert {s["partnership"] for s in full["series"]} == {KRACHT, RONDOMJOU}

    own = client.get("/api/kpis", headers=h(tokens, "kracht")).json()
    assert own["partnerships"] == [KRACHT]
    assert {s["partnership"] for s in own["series"]} == {KRACHT}
    hidden = _series(own, "cost_per_client", "C")["points"][0]  # type: ignore[index]
    assert hidden == {
        **hidden,
        "value": None,
        "numerator": None,
        "denominator": None,
        "suppressed": True,
    }
    assert _series(own, "cost_per_client", "C")["trend"] is None
    shown = _series(own, "cost_per_client", "C")["points"][1]  # type: ignore[index]
    assert shown["value"] == 1000.0
    assert not shown["suppressed"]


def test_no_small_count_or_anything_derived_from_it_reaches_a_consortium(
    loaded: Engine,
    client: TestClient,  # type: ignore[type-arg]
    tokens: dict[str, str],
) -> None:
    load_all(loaded)
    # every number that is, or is derived from, a count under 10, as the views would write it
    small_cost = round(1234567 / 7 / 100, 3)
    trend = round(1000.0 - small_cost, 3)
    p0 = (20 + 4 + 30) / (200 + 37 + 150)
    mentaal = limits(p0, 37)
    secrets = [
        "1234567",
        repr(small_cost),
        repr(trend),
        repr(4 / 37),
        repr(mentaal.upper_95),
        repr(mentaal.upper_998),
        "777777",
        repr(round(777777 / 6 / 100, 3)),
        repr(round(5 / 20 * 100, 3)),
    ]
    for path in READABLE:
        finance = client.get(path, headers=h(tokens, "finance"))
        assert finance.status_code == 200
        body = client.get(path, headers=h(tokens, "kracht"))
        assert body.status_code == 200, (path, body.text)
        for secret in secrets:
            assert secret not in body.text, (path, secret)
        assert RONDOMJOU not in body.text, path
        assert "987654" not in body.text, path
        assert KRACHT in body.text, path
    # finance does get them (so the test above looks at numbers that exist)
    finance_text = "".join(client.get(p, headers=h(tokens, "finance")).text for p in READABLE)
    assert "1234567" in finance_text
    assert repr(4 / 37) in finance_text
    export = client.get("/api/kpis/export.csv", headers=h(tokens, "kracht")).text
    line = next(x for x in export.splitlines() if "cost_per_client" in x and "2025-01" in x)
    assert line.split(",")[5:9] == ["x", "x", "x", "ja"]


def test_a_signal_needs_two_periods_the_viewer_may_see(
    loaded: Engine,
    client: TestClient,  # type: ignore[type-arg]
    tokens: dict[str, str],
) -> None:
    load_all(loaded)
    finance = client.get("/api/kpis/signals", headers=h(tokens, "finance")).json()
    [signal] = [s for s in finance["signals"] if s["kpi"] == "dropout"]
    norm = float(REGISTER.kpis["dropout"].norm("C", 2025).value)  # type: ignore[union-attr]
    assert signal["evidence"] == {
        "periods": ["2025-03", "2025-04"],
        "values": [5 / 20 * 100, 30 / 100 * 100],
        "norms": [norm, norm],
        "norm_illustrative": True,
    }
    # March rests on 5 dropouts: withheld from the consortium, so no signal it could read from
    own = client.get("/api/kpis/signals", headers=h(tokens, "kracht")).json()
    assert [s for s in own["signals"] if s["kpi"] == "dropout"] == []
    other = client.get("/api/kpis/signals", headers=h(tokens, "rondomjou")).json()
    assert other["signals"] == []
    assert other["partnerships"] == [RONDOMJOU]


def test_the_funnel_agrees_with_the_core_and_hides_small_providers(
    loaded: Engine,
    client: TestClient,  # type: ignore[type-arg]
    tokens: dict[str, str],
) -> None:
    load_all(loaded)
    groups = [
        ("Impegno jeugd en gezin B.V.", 30, 150),
        ("Incluzio Randstad B.V.", 20, 200),
        ("Mentaal Cure B.V.", 4, 37),
    ]
    expected = funnel(groups)
    body = client.get("/api/kpis/funnel", headers=h(tokens, "finance")).json()
    assert body["periods"] == ["2025-06"]
    assert body["target"] == pytest.approx(54 / 387)
    for got, want in zip(body["providers"], expected.points, strict=True):
        assert got["provider"] == want.label
        sd = math.sqrt(expected.target * (1 - expected.target) / want.cases)
        assert got["limits"]["upper_95"] == pytest.approx(expected.target + 1.959964 * sd)
        assert got["limits"]["upper_998"] == pytest.approx(expected.target + 3.090232 * sd)
        assert got["position"] == want.position
    own = client.get("/api/kpis/funnel", headers=h(tokens, "kracht")).json()
    small = next(p for p in own["providers"] if p["provider"] == "Mentaal Cure B.V.")
    assert small == {
        "provider": "Mentaal Cure B.V.",
        "suppressed": True,
        "events": None,
        "cases": None,
        "proportion": None,
        "limits": None,
        "position": None,
    }
    assert (
        client.get("/api/kpis/funnel?kpi=active_clients", headers=h(tokens, "finance")).status_code
        == 422
    )


def test_providers_against_their_peers(
    loaded: Engine,
    client: TestClient,  # type: ignore[type-arg]
    tokens: dict[str, str],
) -> None:
    load_all(loaded)
    body = client.get("/api/kpis/providers", headers=h(tokens, "finance")).json()
    by = {p["provider"]: p["points"][0] for p in body["providers"]}
    incluzio = by["Incluzio Randstad B.V."]
    assert incluzio["value"] == 3000000 / 20 / 100
    assert incluzio["peers"] == round((777777 + 4000000) / (6 + 25) / 100, 3)
    assert incluzio["previous_year"] is None
    own = client.get("/api/kpis/providers", headers=h(tokens, "kracht")).json()
    hidden = {p["provider"]: p["points"][0] for p in own["providers"]}["Mentaal Cure B.V."]
    assert (hidden["value"], hidden["suppressed"]) == (None, True)


def test_the_register_is_read_by_every_role_but_a_consortium(
    client: TestClient,  # type: ignore[type-arg]
    tokens: dict[str, str],
) -> None:
    body = client.get("/api/kpis/register", headers=h(tokens, "auditor")).json()
    codes = {k["code"] for k in body["items"]}
    assert {"inflow", "outflow", "dropout", "cost_per_client", "product_mix"} <= codes
    assert all(n["illustrative"] for k in body["items"] for n in k["norms"])
    assert client.get("/api/kpis/register", headers=h(tokens, "kracht")).status_code == 404


def test_demo_figures_import_cleanly(loaded: Engine, tmp_path: Path) -> None:
    from populatie.kpis.demo import write_demo_figures

    for name in ("demo.csv", "demo.xlsx"):
        with session_scope(loaded) as session:
            outcome = write_demo_figures(session, REGISTER, 2025, 3, tmp_path / name)
        assert outcome.rows > 1000
    first = import_figures(
        loaded, (tmp_path / "demo.csv").read_bytes(), "demo.csv", REGISTER, actor="t", role="cli"
    )
    assert first.rows == figures(loaded)
    # the workbook holds the same figures: every one is reported as imported before
    with pytest.raises(FigureImportError) as caught:
        import_figures(
            loaded,
            (tmp_path / "demo.xlsx").read_bytes(),
            "demo.xlsx",
            REGISTER,
            actor="t",
            role="cli",
        )
    assert len(caught.value.details) == first.rows


# --- the page -----------------------------------------------------------------------------------


def test_the_page_for_each_role(loaded: Engine, tokens: dict[str, str]) -> None:
    """/kpis: who may see it, Dutch and self-contained, the funnel drawn, a consortium kept to
    its own with small counts withheld."""
    load_all(loaded)
    app = create_app(loaded)
    with page_client(app) as client:
        assert client.get("/kpis", follow_redirects=False).status_code == 303  # no session
        sign_in(client, tokens["finance"])
        page = client.get("/kpis")
        assert page.status_code == 200
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert "Sturen op resultaat" in page.text
        assert "illustratief" in page.text
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart funnel"' in page.text
        assert page.text.count("<circle") == 3  # the three providers of segment B in June
        assert "<script" not in page.text
        links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert all(link.startswith(("/", "#")) for link in links), links
        assert RONDOMJOU in page.text
        assert "Mentaal Cure B.V." in page.text

    with page_client(app) as client:
        sign_in(client, tokens["kracht"])
        page = client.get("/kpis")
        assert page.status_code == 200
        assert KRACHT in page.text
        assert RONDOMJOU not in page.text
        assert page.text.count("<circle") == 2  # Mentaal Cure (37 cases, 4 events) not drawn
        mentaal = r'<tr><th scope="row">Mentaal Cure B\.V\.</th>(.*?)</tr>'
        row = re.search(mentaal, page.text, re.S)
        assert row is not None
        assert "37" not in row[1]
        assert "niet getoond" in row[1]
        assert "1234567" not in page.text
        assert "17.636" not in page.text
        assert "1.763,7" not in page.text
    # the API route for the register stays closed to a consortium; the page is open to it
    with TestClient(app) as client:
        assert client.get("/api/kpis/register", headers=h(tokens, "kracht")).status_code == 404


# --- the command line ------------------------------------------------------------------------


def test_the_commands_import_show_and_refuse(tmp_path: Path) -> None:
    import csv
    import json

    from tests.integration.conftest import run_cli

    assert run_cli(tmp_path, "load").returncode == 0
    demo = run_cli(tmp_path, "demo-kpis", "--year", "2025", "--seed", "5", "--out", "d.csv")
    assert demo.returncode == 0, demo.stderr
    assert "ILLUSTRATIEF" in demo.stdout
    again = run_cli(tmp_path, "kpis", "import", "d.csv")
    assert again.returncode == 0
    assert "imported before" in again.stdout
    # the funnel of the newest month, recomputed from the file itself
    with (tmp_path / "d.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["provider"] and r["kpi"] == "dropout"]
    newest = max(r["period"] for r in rows)
    chosen = [r for r in rows if r["period"] == newest and r["segment"] == "B"]
    events = sum(int(r["numerator"]) for r in chosen)
    cases = sum(int(r["denominator"]) for r in chosen)
    shown = run_cli(tmp_path, "kpis", "funnel", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["periods"] == [newest]
    assert body["target"] == pytest.approx(events / cases)
    (tmp_path / "bad.csv").write_text("period,segment,kpi,bsn\n2025-01,B,dropout,1\n")
    bad = run_cli(tmp_path, "kpis", "import", "bad.csv", "--errors", "errors.csv")
    assert bad.returncode == 2
    assert "bsn" in (tmp_path / "errors.csv").read_text()
    signals = run_cli(tmp_path, "kpis", "signals", "--format", "json")
    assert signals.returncode == 0
    assert all(len(s["evidence"]["periods"]) >= 2 for s in json.loads(signals.stdout)["signals"])
