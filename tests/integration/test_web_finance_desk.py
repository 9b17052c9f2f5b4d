"""Finance's work on its page, through the real app on SQLite and PostgreSQL: uploading a
spending file (errors as a table and nothing written, or the rows), registering and changing
contracts with a reason, filtering exceptions and marking them handled (the mark survives a new
reconciliation), the charts; and that no other role can post these forms."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.app import create_app
from populatie.auth.models import AuditEvent
from populatie.contracts.models import Contract, ContractVersion
from populatie.db import session_scope
from populatie.reconciliation.service import reconcile_year
from populatie.spending.demo import register_demo_contracts, write_demo_spending
from populatie.spending.models import Spending
from populatie.spending.service import import_spending
from tests.integration.api_support import CONTRACT_OF, KRACHT, World, build_world
from tests.integration.web_support import form_token, sign_in

HEADER = (
    "booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,"
    "description\n"
)
ROW_KEY = re.compile(r'data-key="([0-9a-f]{20})"')


@pytest.fixture
def world(engine: Engine) -> World:
    built = build_world(engine)
    with session_scope(engine) as session:
        register_demo_contracts(session, 2025, "test")
    return built


@pytest.fixture
def demo_file(world: World, tmp_path: Path) -> Path:
    out = tmp_path / "uitgaven-2025.csv"
    with session_scope(world.engine) as session:
        write_demo_spending(session, 2025, 300, 5, out)
    return out


@pytest.fixture
def with_exceptions(world: World, demo_file: Path, tmp_path: Path) -> World:
    """The demo spending plus a duplicate invoice and a row on a reference of no contract."""
    import_spending(world.engine, demo_file, user="test")
    planted = tmp_path / "signaleringen.csv"
    planted.write_text(
        HEADER + f"2025-03-10,GM0518,,{CONTRACT_OF[KRACHT]},specialist,Incluzio Randstad B.V.,"
        "4321.00,DUP-1,once\n"
        f"2025-03-10,GM0518,,{CONTRACT_OF[KRACHT]},specialist,Incluzio Randstad B.V.,"
        "4321.00,DUP-2,twice\n"
        "2025-04-02,GM0518,,ONBEKEND-7,access,Incluzio Randstad B.V.,99.00,NC-1,no contract\n",
        encoding="utf-8",
    )
    import_spending(world.engine, planted, user="test")
    return world


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(world.engine), base_url="http://populatie.test") as test_client:
        yield test_client


def _as(client: TestClient[Litestar], world: World, caller: str) -> str:
    sign_in(client, world.tokens[caller])
    return form_token(client, "/sign-in")


def _count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return int(
            session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        )


def _audit(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.execute(select(AuditEvent).where(col(AuditEvent.action) == action)).scalars()
        )


# --- upload ---------------------------------------------------------------------------------


def test_a_bad_file_shows_its_errors_and_writes_nothing_a_good_one_its_rows(
    client: TestClient[Litestar], world: World, demo_file: Path
) -> None:
    token = _as(client, world, "finance")
    bad = HEADER + (
        "2025-02-30,GM0518,,GM0518/1,prevention,Incluzio Randstad B.V.,12.50,B-1,\n"
        "2025-03-01,GM9999,,GM0518/1,nursing,Incluzio Randstad B.V.,abc,B-2,\n"
    )
    rejected = client.post(
        "/finance/spending",
        data={"_csrf_token": token},
        files={"file": ("fout.csv", bad.encode(), "text/csv")},
    )
    assert rejected.status_code == 422, rejected.text
    html = rejected.text
    assert "niets ingelezen" in html
    assert all(
        f'<th scope="col"{c}>{h}</th>' in html
        for c, h in ((' class="num"', "Regel"), ("", "Kolom"), ("", "Waarde"), ("", "Reden"))
    )
    cells = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code class="utrecht-code">([a-z_]+)</code></td>', html
    )
    assert {("2", "booking_date"), ("3", "municipality"), ("3", "domain"), ("3", "amount")} <= set(
        cells
    )
    # The reasons in Dutch (the API keeps the import's English), none of them marked English.
    table = html[html.index("<tbody>") : html.index("</tbody>")]
    assert "<td>deze datum bestaat niet</td>" in table
    assert "<td>geen gemeente van de regio</td>" in table
    assert "geen domein; de domeinen zijn prevention, access, specialist" in table
    assert "is geen eurobedrag" in table
    assert 'lang="en"' not in table
    assert _count(world.engine, Spending) == 0
    assert _audit(world.engine, "spending.import") == []

    content = demo_file.read_bytes()
    rows = len(content.decode("utf-8").strip().splitlines()) - 1
    done = client.post(
        "/finance/spending",
        data={"_csrf_token": token},
        files={"file": (demo_file.name, content, "text/csv")},
    )
    assert done.status_code == 200, done.text
    shown = re.search(r'class="imported-rows">([\d.]+)</strong>', done.text)
    assert shown is not None
    assert int(shown[1].replace(".", "")) == rows
    assert 'href="/finance?year=2025#percelen"' in done.text
    assert _count(world.engine, Spending) == rows
    events = _audit(world.engine, "spending.import")
    assert len(events) == 1
    assert events[0].actor.startswith("token:")


# The CSRF check reads the multipart form to look for the token and refuses the request before
# any handler could close the uploaded file: the framework leaves it to the garbage collector.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_upload_without_the_form_token_is_refused(
    client: TestClient[Litestar], world: World, demo_file: Path
) -> None:
    _as(client, world, "finance")
    response = client.post(
        "/finance/spending", files={"file": ("x.csv", demo_file.read_bytes(), "text/csv")}
    )
    assert response.status_code == 403
    assert _count(world.engine, Spending) == 0


# --- contracts ------------------------------------------------------------------------------

NEW_CONTRACT = {
    "mode": "register",
    "reference": "H10-TEST-9",
    "lot": "GM0518/1",
    "starts_on": "2031-01-01",
    "ends_on": "2032-12-31",
    "funding_form": "task-based",
    "ceiling_year": "2031",
    "ceiling": "1.250.000,50",
    "indexation": "2,5",
}


def test_a_contract_needs_a_reason_and_is_kept_with_it(
    client: TestClient[Litestar], world: World
) -> None:
    token = _as(client, world, "finance")
    missing = client.post("/finance/contracts", data={**NEW_CONTRACT, "_csrf_token": token})
    assert missing.status_code == 422
    assert "Vul de reden in" in missing.text
    assert 'id="register-reason"' in missing.text
    assert 'aria-invalid="true"' in missing.text
    reference = col(Contract.reference) == "H10-TEST-9"
    assert _count(world.engine, Contract, reference) == 0

    form = {**NEW_CONTRACT, "reason": "raadsbesluit 12", "_csrf_token": token}
    saved = client.post("/finance/contracts", data=form)
    assert saved.status_code == 200, saved.text
    assert "H10-TEST-9" in saved.text
    assert "versie 1" in saved.text
    with Session(world.engine) as session:
        contract = session.execute(select(Contract).where(reference)).scalar_one()
        assert contract.funding_form == "task-based"
        assert contract.indexation_basis_points == 250
        version = session.execute(
            select(ContractVersion).where(col(ContractVersion.contract_id) == contract.id)
        ).scalar_one()
        assert version.reason == "raadsbesluit 12"
        assert version.state["ceilings_cents"] == {"2031": 125_000_050}
    created = [e for e in _audit(world.engine, "contract.create") if e.target.endswith("TEST-9")]
    assert len(created) == 1
    assert created[0].detail["reason"] == "raadsbesluit 12"

    change = {
        "mode": "change",
        "reference": "H10-TEST-9",
        "ends_on": "2033-06-30",
        "_csrf_token": token,
    }
    unexplained = client.post("/finance/contracts", data=change)
    assert unexplained.status_code == 422
    assert "Vul de reden in" in unexplained.text
    changed = client.post("/finance/contracts", data={**change, "reason": "verlengd"})
    assert changed.status_code == 200, changed.text
    with Session(world.engine) as session:
        contract = session.execute(select(Contract).where(reference)).scalar_one()
        assert contract.version == 2
        assert str(contract.ends_on) == "2033-06-30"
    same = client.post("/finance/contracts", data={**change, "reason": "nogmaals"})
    assert same.status_code == 422
    assert "verandert niets" in same.text


def test_contract_form_errors_name_each_field_in_dutch(
    client: TestClient[Litestar], world: World
) -> None:
    token = _as(client, world, "finance")
    form = {
        **NEW_CONTRACT,
        "lot": "GM0518/99",
        "starts_on": "31-02-2031",
        "ceiling": "veel",
        "funding_form": "gratis",
        "reason": "test",
        "_csrf_token": token,
    }
    response = client.post("/finance/contracts", data=form)
    assert response.status_code == 422
    errors = dict(
        re.findall(
            r'<p class="utrecht-form-field-error-message" id="register-([a-z_]+)-error">'
            r'<span class="visually-hidden">Fout: </span>([^<]+)</p>',
            response.text,
        )
    )
    assert set(errors) == {"lot", "starts_on", "ceiling", "funding_form"}
    assert "bestaat niet" in errors["lot"]
    assert "geen datum" in errors["starts_on"]
    assert _count(world.engine, Contract, col(Contract.reference) == "H10-TEST-9") == 0

    overlap = {**NEW_CONTRACT, "starts_on": "2025-01-01", "reason": "test", "_csrf_token": token}
    clash = client.post("/finance/contracts", data=overlap)
    assert clash.status_code == 422
    assert "al een ander contract" in clash.text
    assert _count(world.engine, Contract, col(Contract.reference) == "H10-TEST-9") == 0


# --- exceptions -----------------------------------------------------------------------------


def _keys(html: str) -> list[str]:
    return ROW_KEY.findall(html)


def _expected_key(kind: str, subject: str, year: int) -> str:
    return hashlib.sha256(f"{year}\x1f{kind}\x1f{subject}".encode()).hexdigest()[:20]


def _planted_duplicate(engine: Engine) -> str:
    """The key of the planted double invoice, computed from the reconciliation's own finding."""
    with Session(engine) as session:
        found = reconcile_year(session, 2025, None).exceptions
    subjects = [e.subject for e in found if e.kind == "duplicate-invoice" and "DUP-" in e.subject]
    assert len(subjects) == 1
    return _expected_key("duplicate-invoice", subjects[0], 2025)


def test_exceptions_filter_by_kind_municipality_lot_and_handled(
    client: TestClient[Litestar], with_exceptions: World
) -> None:
    world = with_exceptions
    _as(client, world, "finance")
    with Session(world.engine) as session:
        found = reconcile_year(session, 2025, None).exceptions
    every = _keys(client.get("/finance?year=2025").text)
    assert sorted(every) == sorted(_expected_key(e.kind, e.subject, 2025) for e in found)
    duplicates = [e for e in found if e.kind == "duplicate-invoice"]
    assert duplicates
    shown = _keys(client.get("/finance?year=2025&soort=duplicate-invoice").text)
    assert sorted(shown) == sorted(_expected_key(e.kind, e.subject, 2025) for e in duplicates)
    unknown = [e for e in found if e.facts.get("reference") == "ONBEKEND-7"]
    assert len(unknown) == 1
    in_gm0518 = _keys(client.get("/finance?year=2025&gemeente=GM0518").text)
    assert _expected_key(unknown[0].kind, unknown[0].subject, 2025) in in_gm0518
    elsewhere = _keys(client.get("/finance?year=2025&gemeente=GM0603").text)
    assert set(elsewhere) <= set(every)
    assert _expected_key(unknown[0].kind, unknown[0].subject, 2025) not in elsewhere
    on_lot = _keys(client.get("/finance?year=2025&perceel=GM0518/1").text)
    assert _planted_duplicate(world.engine) in on_lot
    assert _expected_key(unknown[0].kind, unknown[0].subject, 2025) not in on_lot
    assert _keys(client.get("/finance?year=2025&afgehandeld=ja").text) == []
    assert sorted(_keys(client.get("/finance?year=2025&afgehandeld=nee").text)) == sorted(every)


def test_a_handled_mark_is_audited_and_survives_a_new_reconciliation(
    client: TestClient[Litestar], with_exceptions: World
) -> None:
    world = with_exceptions
    token = _as(client, world, "finance")
    key = _planted_duplicate(world.engine)
    assert key in _keys(client.get("/finance?year=2025").text)
    empty = client.post(
        f"/finance/exceptions/{key}/handling",
        data={"year": "2025", "note": "  ", "_csrf_token": token},
    )
    assert empty.status_code == 422
    assert "Vul een notitie in" in empty.text
    assert _audit(world.engine, "exception.handle") == []

    marked = client.post(
        f"/finance/exceptions/{key}/handling",
        data={
            "year": "2025",
            "note": "creditnota ontvangen",
            "soort": "duplicate-invoice",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert marked.status_code == 303
    assert marked.headers["location"].startswith("/finance?year=2025&soort=duplicate-invoice")
    events = _audit(world.engine, "exception.handle")
    assert len(events) == 1
    assert events[0].detail["note"] == "creditnota ontvangen"

    # A new reconciliation recomputes the finding; the mark stays with it.
    with Session(world.engine) as session:
        again = reconcile_year(session, 2025, None)
    assert any(_expected_key(e.kind, e.subject, 2025) == key for e in again.exceptions)
    handled = client.get("/finance?year=2025&afgehandeld=ja").text
    assert _keys(handled) == [key]
    assert "creditnota ontvangen" in handled
    assert re.search(r"Afgehandeld</strong> door financiën \(sleutel \d+\) op ", handled)
    assert "token:" not in handled
    assert key not in _keys(client.get("/finance?year=2025&afgehandeld=nee").text)

    unknown = client.post(
        f"/finance/exceptions/{'0' * 20}/handling",
        data={"year": "2025", "note": "x", "_csrf_token": token},
    )
    assert unknown.status_code == 404


def test_handling_over_the_api_is_for_finance(with_exceptions: World) -> None:
    world = with_exceptions
    key = _planted_duplicate(world.engine)
    path = f"/api/reconciliation/2025/exceptions/{key}/handling"
    with TestClient(create_app(world.engine)) as api:
        listed = api.get("/api/reconciliation?year=2025", headers=world.headers("finance")).json()
        assert key in {e["key"] for e in listed["exceptions"]}
        assert (
            api.post(path, json={"note": "x"}, headers=world.headers("planner")).status_code == 403
        )
        assert api.post(path, json={"note": ""}, headers=world.headers("finance")).status_code in (
            400,
            422,
        )
        done = api.post(path, json={"note": "verrekend"}, headers=world.headers("finance"))
        assert done.status_code == 200, done.text
        assert done.json()["note"] == "verrekend"
        assert done.json()["kind"] == "duplicate-invoice"
        missing = api.post(
            f"/api/reconciliation/2025/exceptions/{'0' * 20}/handling",
            json={"note": "x"},
            headers=world.headers("finance"),
        )
        assert missing.status_code == 404


# --- charts and access ----------------------------------------------------------------------


def test_the_page_draws_spend_against_ceiling_and_the_monthly_trend(
    client: TestClient[Litestar], with_exceptions: World
) -> None:
    world = with_exceptions
    _as(client, world, "finance")
    html = client.get("/finance?year=2025").text
    with Session(world.engine) as session:
        result = reconcile_year(session, 2025, None)
    contracts = [
        line for line in result.lines if line.domain == "total" and line.contract is not None
    ]
    with_ceiling = [line for line in contracts if line.ceiling_cents is not None]
    assert html.count('class="bar-spent"') == len(contracts)
    assert html.count('class="ceiling"') == len(with_ceiling)
    assert '<title id="plafonds-title">' in html
    assert '<title id="trend-title">' in html
    for domain in ("prevention", "access", "specialist"):
        assert f'class="line-{domain}"' in html
    assert 'id="plafond-caption"' in html
    assert 'id="trend-caption"' in html


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # see above
@pytest.mark.parametrize(
    ("caller", "status"), [("planner", 403), ("auditor", 403), ("kracht", 404)]
)
def test_no_other_role_may_post_finance_forms(
    client: TestClient[Litestar], world: World, demo_file: Path, caller: str, status: int
) -> None:
    """A planner or the auditor is refused; a consortium is not told the forms exist."""
    token = _as(client, world, caller)
    upload = client.post(
        "/finance/spending",
        data={"_csrf_token": token},
        files={"file": ("x.csv", demo_file.read_bytes(), "text/csv")},
    )
    contract = client.post(
        "/finance/contracts", data={**NEW_CONTRACT, "reason": "r", "_csrf_token": token}
    )
    handle = client.post(
        f"/finance/exceptions/{'0' * 20}/handling",
        data={"year": "2025", "note": "n", "_csrf_token": token},
    )
    assert (upload.status_code, contract.status_code, handle.status_code) == (status,) * 3
    assert _count(world.engine, Spending) == 0
    assert _count(world.engine, Contract, col(Contract.reference) == "H10-TEST-9") == 0


def test_the_auditor_reads_the_marks_but_gets_no_forms(
    client: TestClient[Litestar], with_exceptions: World
) -> None:
    world = with_exceptions
    with TestClient(create_app(world.engine), base_url="http://populatie.test") as finance:
        token = _as(finance, world, "finance")
        key = _planted_duplicate(world.engine)
        finance.post(
            f"/finance/exceptions/{key}/handling",
            data={"year": "2025", "note": "gecontroleerd", "_csrf_token": token},
        )
    _as(client, world, "auditor")
    html = client.get("/finance?year=2025&afgehandeld=ja").text
    assert _keys(html) == [key]
    assert "gecontroleerd" in html
    for action in ("/finance/spending", "/finance/contracts", f"/finance/exceptions/{key}"):
        assert f'action="{action}' not in html
