"""The pages through the real app (Litestar's test client), on the shipped data with demo
contracts and spending: signing in, who may see which page, what each page shows, and that a
consortium never sees the other partnership."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.app import create_app
from populatie.auth.models import ApiToken, WebSession
from populatie.auth.tokens import hash_token, issue_token, revoke_token
from populatie.core.reconciliation import EXCEPTION_KINDS
from populatie.db import make_engine, migrate, session_scope
from populatie.reconciliation.service import reconcile_year
from populatie.web import service
from populatie.web.sessions import COOKIE, hash_session_id
from tests.e2e.world import (
    AREAS_OF,
    FOREIGN,
    KRACHT,
    RONDOMJOU,
    build_web_world,
    duplicate_invoices,
    foreign_markers,
)
from tests.integration.api_support import World
from tests.integration.web_support import form_token, page_client, sign_in

PAGES = ("/consortium", "/planner", "/finance", "/finance/reconciliation.xlsx")
# caller → the status of each page in PAGES
EXPECTED = {
    "kracht": (200, 404, 404, 404),
    "rondomjou": (200, 404, 404, 404),
    "planner": (403, 200, 403, 403),
    "finance": (403, 200, 200, 200),
    "auditor": (403, 403, 200, 200),
}
DUTCH_EURO = re.compile("€\u00a0-?\\d{1,3}(?:\\.\\d{3})*,\\d{2}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("web")
    engine = make_engine(f"sqlite:///{(folder / 'web.db').as_posix()}")
    migrate(engine)
    yield build_web_world(engine, folder)
    engine.dispose()


@pytest.fixture(scope="module")
def app(world: World) -> Litestar:
    return create_app(world.engine)


def _token_id(engine: Engine, token: str) -> int | None:
    with Session(engine) as session:
        return session.execute(
            select(ApiToken.id).where(col(ApiToken.token_hash) == hash_token(token))
        ).scalar_one()


def test_a_page_sends_a_visitor_without_a_session_tosign_in(app: Litestar) -> None:
    with page_client(app) as client:
        for path in PAGES:
            response = client.get(path + "?year=2025", follow_redirects=False)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/sign-in?next=")
        assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"
        page = client.get("/sign-in?next=%2Fplanner")
        assert page.status_code == 200
        assert re.search(r'<html lang="nl" class="[^"]*\bvoorbeeld-theme\b', page.text)
        assert '<label class="utrecht-form-label" for="token">Toegangssleutel</label>' in page.text
        assert 'name="next" value="/planner"' in page.text


def test_signing_in_keeps_only_a_random_session_id_in_a_strict_httponly_cookie(
    app: Litestar, world: World
) -> None:
    token = world.tokens["kracht"]
    with page_client(app) as client:
        response = client.post(
            "/sign-in",
            data={
                "token": token,
                "next": "/consortium?year=2025",
                "_csrf_token": form_token(client),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/consortium?year=2025"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        session_id = client.cookies[COOKIE]
        assert token not in cookie
        assert hash_token(token) not in cookie
        assert len(session_id) >= 40
        with Session(world.engine) as session:
            stored = session.get(WebSession, hash_session_id(session_id))
            assert stored is not None, "the server keeps the session id's hash, not the id"
            assert stored.token_id == _token_id(world.engine, token)
            assert stored.role == "consortium"
            assert stored.partnership_name == KRACHT
            assert session_id not in str(stored.model_dump())
            assert token not in str(stored)
        page = client.get("/consortium")
        assert page.status_code == 200
        assert token not in page.text

        # A second sign-in starts a new session; the old id is dropped.
        sign_in(client, token)
        assert client.cookies[COOKIE] != session_id
        with Session(world.engine) as session:
            assert session.get(WebSession, hash_session_id(session_id)) is None


def test_a_wrong_token_is_refused_without_echoing_it(app: Litestar) -> None:
    with page_client(app) as client:
        response = client.post(
            "/sign-in", data={"token": "pop_not-a-token", "_csrf_token": form_token(client)}
        )
        assert response.status_code == 400
        assert "onbekend of ingetrokken" in response.text
        assert "pop_not-a-token" not in response.text
        assert 'aria-invalid="true"' in response.text
        assert COOKIE not in response.headers.get("set-cookie", "")


def test_a_sign_in_posted_from_another_site_is_refused(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        response = client.post(
            "/sign-in",
            data={"token": world.tokens["finance"], "_csrf_token": form_token(client)},
            headers={"Origin": "https://elsewhere.example"},
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert "set-cookie" not in response.headers


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_each_role_sees_its_pages_and_is_refused_the_others(
    app: Litestar, world: World, caller: str
) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens[caller])
        home = client.get("/", follow_redirects=False).headers["location"]
        assert home == {
            "kracht": "/consortium",
            "rondomjou": "/consortium",
            "planner": "/planner",
        }.get(caller, "/finance")
        for path, expected in zip(PAGES, EXPECTED[caller], strict=True):
            response = client.get(path)
            assert response.status_code == expected, (caller, path)
            if expected in (403, 404):
                # A page, not a problem document, and the same for "not yours" as for "none".
                assert response.headers["content-type"].startswith("text/html")
                title = "Niet gevonden" if expected == 404 else "Geen toegang"
                assert f'<h1 class="utrecht-heading-1">{title}</h1>' in response.text


def test_pages_load_nothing_from_elsewhere_and_say_so(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["finance"])
        for path in ("/finance", "/planner", "/sign-in"):
            response = client.get(path)
            csp = response.headers["content-security-policy"]
            assert "default-src 'none'" in csp
            assert "style-src 'self'" in csp
            assert "<script" not in response.text
            links = re.findall(r'(?:src|href)="([^"]+)"', response.text)
            assert links
            assert all(link.startswith(("/", "#")) for link in links), links
        css = client.get("/static/style.css")
        assert css.status_code == 200
        assert "url(" not in css.text
        assert "@import" not in css.text
        assert ":focus-visible" in css.text


@pytest.mark.parametrize("caller", ["kracht", "rondomjou"])
def test_a_consortium_page_shows_its_own_areas_and_nothing_of_the_other(
    app: Litestar, world: World, caller: str
) -> None:
    partnership = KRACHT if caller == "kracht" else RONDOMJOU
    with page_client(app) as client:
        sign_in(client, world.tokens[caller])
        html = client.get("/consortium").text
    _check_consortium_page(html, partnership, world.engine)


def _check_consortium_page(html: str, partnership: str, engine: Engine) -> None:
    assert f'<h1 class="utrecht-heading-1">{partnership}</h1>' in html
    for code in AREAS_OF[partnership]:
        assert code in html
    foreign = foreign_markers(partnership, engine)
    assert len(foreign) > len(FOREIGN[partnership]), "the other's duplicate invoices are planted"
    for marker in foreign:
        assert marker not in html, f"{marker!r} on the page of {partnership}"
    # its own duplicate invoices it does see (the rule of the API: findings about its own rows)
    own = duplicate_invoices(engine, partnership)
    assert own
    assert any(invoice in html for invoice in own)
    assert html.count('class="district"') > 10
    assert 'class="map"' in html
    assert 'class="chart line"' in html
    assert DUTCH_EURO.search(html)


def test_the_consortium_view_model_adds_up(world: World) -> None:
    with Session(world.engine) as session:
        view = service.consortium_page(session, KRACHT, None)
        result = reconcile_year(session, 2025, partnership=KRACHT)
        monthly = service._monthly_spending(
            session, 2025, result.to_month, AREAS_OF[KRACHT], KRACHT
        )
    assert view.year == 2025
    assert [a.code for a in view.areas] == AREAS_OF[KRACHT]
    assert [a.label for a in view.areas] == ["L1", "L3"]
    spent = sum(
        line.spent_cents
        for line in result.lines
        if line.area in AREAS_OF[KRACHT] and line.partnership == KRACHT and line.domain != "total"
    )
    assert sum(sum(m) for m in monthly.values()) == spent, "the monthly line is the lines' spending"
    assert view.spent.replace("\u00a0", " ") == service.euro(spent).replace("\u00a0", " ")
    assert len(view.months) == result.to_month
    assert all(DUTCH_EURO.fullmatch(a.budget) for a in view.areas)
    assert all(re.fullmatch("€\u00a0\\d{1,3}(\\.\\d{3})*", a.per_young) for a in view.areas)
    assert [item.label.split(" per ")[-1] for item in view.legend] == ["jeugdige", "jeugdige"]
    assert view.exceptions, "the demo file plants exceptions on every partnership's lots"
    assert {e.kind for e in view.exceptions} <= set(EXCEPTION_KINDS)
    assert all(e.detail == "" for e in view.exceptions), "no free text about other areas"


def _planner_page(client: TestClient[Litestar], world: World) -> str:
    return client.get(
        f"/planner?base={world.adopted_2025}&other={world.draft_2026}&municipality=GM0518"
    ).text


def test_the_planner_page_explains_each_areas_change(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        html = _planner_page(client, world)
        assert client.get("/planner?base=no-such-run").status_code == 404
        assert client.get("/planner?domain=nonsense").status_code == 404
    _check_planner_page(html, world)
    with Session(world.engine) as session:
        view = service.planner_page(session, world.adopted_2025, world.draft_2026, None, "access")
    assert len(view.rows) == 13
    assert all(r.adds_up for r in view.rows)


def _check_planner_page(html: str, world: World) -> None:
    assert f'<option value="{world.adopted_2025}" selected>' in html
    assert '<label class="utrecht-form-label" for="other">Vergelijkingsrun</label>' in html
    for header in ("Budget", "Bevolking", "Behoeftemix", "Demping"):
        assert f'<th scope="col" class="num">{header}</th>' in html
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", html, flags=re.S)
    assert len(rows) == 4, "the four areas of Den Haag"
    assert all("<td>ja</td>" in row for row in rows), "the parts add up to the change"
    assert 'class="map"' in html


def _finance_pages(client: TestClient[Litestar], world: World) -> tuple[str, str]:
    """The finance page as finance (to September) and as the auditor."""
    sign_in(client, world.tokens["finance"])
    html = client.get("/finance?year=2025&to=9").text
    client.cookies.clear()
    sign_in(client, world.tokens["auditor"])
    return html, client.get("/finance").text


def test_the_finance_page_lists_every_municipality_and_lot(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        html, auditor_html = _finance_pages(client, world)
    _check_finance_page(html, auditor_html)


def _check_finance_page(html: str, auditor_html: str) -> None:
    for name in ("Delft", "Zoetermeer", "Westland", "Rijswijk", "Lansingerland", "Wassenaar"):
        assert name in html
    for lot in ("GM0518/1", "GM0518/2", "GM0518/3", "GM0518/4"):
        assert f'<th scope="row">{lot}</th>' in html
    assert "tot en met september 2025" in html
    assert 'href="/finance/reconciliation.xlsx?year=2025&amp;to=9"' in html
    assert "Alleen lezen" in auditor_html
    assert "Alleen lezen" not in html
    assert DUTCH_EURO.search(html)
    # The findings are explained in Dutch, months by name, not in the CLI's English.
    assert 'lang="en"' not in html
    assert "; maanden: " in html
    assert "; months " not in html


def test_the_downloads_are_the_reconciliation_exports(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["auditor"])
        xlsx = client.get("/finance/reconciliation.xlsx?year=2025&to=6")
        csv_ = client.get("/finance/reconciliation.csv?year=2025")
        xlsx_en = client.get("/finance/reconciliation.xlsx?year=2025&to=6&lang=en")
        csv_en = client.get("/finance/reconciliation.csv?year=2025&lang=en")
    assert xlsx.status_code == 200
    assert "reconciliation-2025-06.xlsx" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[:4] == ["Verantwoording", "Signaleringen", "Onderbouwing", "Toelichting"]
    assert book["Verantwoording"]["A1"].value == "Contract"
    assert csv_.headers["content-type"].startswith("text/csv")
    assert csv_.text.splitlines()[0].startswith("\ufeffSoort regel;Jaar;Uitgaven tot en met;")
    # the English machine format on request
    book = load_workbook(io.BytesIO(xlsx_en.content))
    assert book.sheetnames[:4] == ["Reconciliation", "Exceptions", "Evidence", "About"]
    assert book["Reconciliation"]["A1"].value == "contract"
    assert csv_en.text.splitlines()[0].startswith("record,year,to,contract")


def test_a_revoked_token_ends_its_sessions_and_sign_out_ends_one(
    app: Litestar, world: World
) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["kracht"])
        out = client.post(
            "/sign-out", data={"_csrf_token": form_token(client)}, follow_redirects=False
        )
        assert out.status_code == 303
        assert out.headers["location"] == "/sign-in?signed_out=true"
        assert "Max-Age=0" in out.headers["set-cookie"]
        assert client.get("/consortium", follow_redirects=False).status_code == 303
        assert "U bent afgemeld." in client.get("/sign-in?signed_out=true").text

    with session_scope(world.engine) as session:
        issued = issue_token(session, "consortium", RONDOMJOU, "short-lived", "test")
        token, token_id = issued.token, int(issued.record.id or 0)
    with page_client(app) as client:
        sign_in(client, token)
        assert client.get("/consortium").status_code == 200
        with session_scope(world.engine) as session:
            revoke_token(session, token_id, "test")
        assert client.get("/consortium", follow_redirects=False).status_code == 303


def test_the_api_keeps_answering_with_problem_details(app: Litestar) -> None:
    with page_client(app) as client:
        assert client.get("/api/health").status_code == 200
        response = client.get("/api/areas")
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        paths = client.get("/schema/openapi.json").json()["paths"]
        assert all(p.startswith("/api") for p in paths), "pages stay out of the API document"


def test_the_pages_work_on_each_database(engine: Engine, tmp_path: Path) -> None:
    """What each page shows, checked as on the module's SQLite world above."""
    world = build_web_world(engine, tmp_path)
    with TestClient(create_app(engine), base_url="http://populatie.test") as client:
        sign_in(client, world.tokens["rondomjou"])
        consortium = client.get("/consortium").text
        client.cookies.clear()
        sign_in(client, world.tokens["planner"])
        planner = _planner_page(client, world)
        client.cookies.clear()
        finance, auditor = _finance_pages(client, world)
    _check_consortium_page(consortium, RONDOMJOU, engine)
    _check_planner_page(planner, world)
    _check_finance_page(finance, auditor)
