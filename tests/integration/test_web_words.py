"""What the pages say, through the real app: nothing received is not "op koers", an overrun is
said in words, runs carry names and no ids, no English sentence; browsers get Dutch error pages
where tools keep problem details; every response is compressed for a client that accepts gzip."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient
from sqlmodel import Session

from populatie.app import create_app
from populatie.auth.access import PUBLIC, access
from populatie.db import make_engine, migrate
from populatie.reconciliation.service import reconcile_year
from populatie.web import service
from populatie.web.formatting import euro
from tests.e2e.world import build_web_world
from tests.integration.api_support import World
from tests.integration.web_support import page_client, sign_in

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
# Words only an English sentence has (not "is" or "of": Dutch has those too).
ENGLISH = re.compile(
    r"\b(the|and|are|not|with|without|assumed|public|per lot|on track|config|none|months?"
    r"|run-rate)\b"
)
PAGES_OF = {
    "kracht": ["/consortium"],
    "planner": ["/planner"],
    "finance": ["/finance", "/planner"],
    "auditor": ["/finance"],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("words")
    engine = make_engine(f"sqlite:///{(folder / 'words.db').as_posix()}")
    migrate(engine)
    yield build_web_world(engine, folder)
    engine.dispose()


@get("/kapot", **access(PUBLIC), include_in_schema=False)
async def broken() -> str:
    raise RuntimeError("a bug, on purpose")


@get("/api/kapot", **access(PUBLIC), include_in_schema=False)
async def broken_api() -> str:
    raise RuntimeError("a bug, on purpose")


@pytest.fixture(scope="module")
def app(world: World) -> Litestar:
    return create_app(world.engine, extra_handlers=[broken, broken_api])


def _client(app: Litestar) -> TestClient[Litestar]:
    return page_client(app, raise_server_exceptions=False)


def _visible(page: str) -> str:
    """The text a reader sees: no tags, no attribute values, entities resolved."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<svg\b.*?</svg>", " ", body, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


def test_nothing_received_is_said_so_and_not_called_on_course(world: World) -> None:
    with Session(world.engine) as session:
        # the demo spends on every contract: one contract line without spending yet
        result = reconcile_year(session, 2025, 9)
        chosen = next(x.contract for x in result.lines if x.contract)
        lines = [
            replace(x, spent_cents=0, forecast_cents=0, status="on track")
            if x.contract == chosen
            else x
            for x in result.lines
        ]
        view = service.finance_page(session, 2025, 9, replace(result, lines=lines))
    rows = [*view.municipalities, *view.contracts, *view.without_contract]
    nothing = [r for r in rows if r.spent in (euro(0), "—")]
    something = [r for r in rows if r.spent not in (euro(0), "—")]
    assert nothing
    assert something
    for row in nothing:
        assert row.status.label != "op koers"
    assert any(r.status.label == "geen uitgaven ontvangen" for r in nothing)
    assert all(r.status.label != "geen uitgaven ontvangen" for r in something)


def test_an_overrun_is_said_in_words_never_as_a_negative_amount(world: World) -> None:
    with Session(world.engine) as session:
        line = next(x for x in reconcile_year(session, 2025, 9).lines if x.contract)
    over = replace(
        line,
        allocated_cents=100_000,
        spent_cents=123_456,
        remaining_cents=100_000 - 123_456,
        status="over allocation",
    )
    row = service._contract_row(over, {})
    assert row.remaining == f"overschreden met {euro(123_456 - 100_000)}"
    assert "-" not in row.remaining
    assert row.status.label == "boven budget"
    assert row.status.tone == "danger"


def test_runs_are_named_by_year_status_scenario_date_and_author(
    app: Litestar, world: World
) -> None:
    with _client(app) as client:
        sign_in(client, world.tokens["planner"])
        page = client.get(f"/planner?base={world.adopted_2025}&other={world.draft_2026}").text
    labels = re.findall(r"<option value=\"[^\"]*\"[^>]*>([^<]*)</option>", page)
    runs = [label for label in labels if label.startswith(("2025 ·", "2026 ·"))]
    assert len(runs) >= 4, "both runs in both choices"
    for label in runs:
        year, status, scenario, moment, author = label.split(" · ")
        assert (year, status) in (("2025", "vastgesteld"), ("2026", "concept"))
        assert scenario == "standaardinstellingen"
        assert re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", moment)
        assert author == "door test"
    text = _visible(page)
    for run_id in (world.adopted_2025, world.draft_2026):
        assert run_id[:8] not in text
    assert "config" not in text


@pytest.mark.parametrize("caller", sorted(PAGES_OF))
def test_no_english_sentence_on_any_page(app: Litestar, world: World, caller: str) -> None:
    with _client(app) as client:
        sign_in(client, world.tokens[caller])
        for path in PAGES_OF[caller]:
            text = _visible(client.get(path).text)
            found = ENGLISH.findall(text)
            assert not found, (caller, path, found)
    # The lot assumption of the four areas of Den Haag, in Dutch.
    with _client(app) as client:
        sign_in(client, world.tokens["kracht"])
        page = client.get("/consortium").text
    assert "district grouping" not in page
    assert "de indeling van de wijken over de percelen is een aanname" in page


def test_a_browser_gets_a_dutch_page_for_an_unknown_address(app: Litestar) -> None:
    with _client(app) as client:
        page = client.get("/bestaat-niet", headers=BROWSER)
        problem = client.get("/bestaat-niet", headers={"Accept": "application/json"})
        anything = client.get("/bestaat-niet")
        api = client.get("/api/bestaat-niet", headers=BROWSER)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="nl"' in page.text
    assert "Niet gevonden" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for tool in (problem, anything, api):
        assert tool.status_code == 404
        assert tool.headers["content-type"] == "application/problem+json"
        assert tool.json()["type"].endswith("/not-found")


def test_a_browser_gets_a_dutch_page_for_an_error_and_a_tool_its_problem(
    app: Litestar,
) -> None:
    with _client(app) as client:
        page = client.get("/kapot", headers=BROWSER)
        problem = client.get("/kapot", headers={"Accept": "application/json"})
        api = client.get("/api/kapot", headers=BROWSER)
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Er ging iets mis" in page.text
    assert "on purpose" not in page.text
    for tool in (problem, api):
        assert tool.status_code == 500
        assert tool.headers["content-type"] == "application/problem+json"
        assert tool.json()["type"].endswith("/internal-error")
        assert "on purpose" not in tool.text


def test_pages_and_api_responses_are_compressed(app: Litestar, world: World) -> None:
    bearer = {"Authorization": f"Bearer {world.tokens['finance']}"}
    with _client(app) as client:
        sign_in(client, world.tokens["finance"])
        for path, headers in (
            ("/finance", {}),
            ("/api/municipalities", bearer),
            ("/static/vendor/utrecht-component-library-css/index.css", {}),
        ):
            raw = client.get(path, headers={**headers, "Accept-Encoding": "gzip"})
            assert raw.status_code == 200, path
            assert raw.headers["content-encoding"] == "gzip", path
            assert "accept-encoding" in raw.headers["vary"].lower(), path
            plain = client.get(path, headers={**headers, "Accept-Encoding": "identity"})
            assert "content-encoding" not in plain.headers, path
            assert raw.content == plain.content, path  # httpx decoded the gzip
            assert int(raw.headers["content-length"]) < len(plain.content) / 2, path


def test_the_vendored_style_sheets_carry_their_licence(tmp_path: Path) -> None:
    from populatie.web import STATIC_DIR

    vendor = STATIC_DIR / "vendor"
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    for folder, package in (
        ("utrecht-component-library-css", "@utrecht/component-library-css"),
        ("voorbeeld-design-tokens", "@nl-design-system-unstable/voorbeeld-design-tokens"),
    ):
        assert package in readme
        licence = (vendor / folder / "LICENSE.md").read_text(encoding="utf-8")
        assert "EUROPEAN UNION PUBLIC LICENCE v. 1.2" in licence
        assert "EUPL-1.2" in (vendor / folder / "README.md").read_text(encoding="utf-8")
    theme = (vendor / "voorbeeld-design-tokens" / "theme.css").read_text(encoding="utf-8")
    assert ".voorbeeld-theme {" in theme
    assert "@import" not in theme
    assert not re.search(r"url\((?!\"?data:)", theme), "nothing fetched from elsewhere"
