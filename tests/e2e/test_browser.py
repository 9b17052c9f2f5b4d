"""The pages in a real browser: Debian's chromium, driven by Playwright.

Each role signs in through the form, sees its page, and is refused the others; a consortium's
page, and every response the browser receives while showing it, holds nothing of the other
partnership; the XLSX download opens with openpyxl; the sign-in form works from the keyboard
alone with a visible focus. A screenshot of every page goes to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from populatie.dutch_sheets import FUNDING_FORM_SHEETS
from tests.e2e.conftest import Server
from tests.e2e.world import AREAS_OF, KRACHT, RONDOMJOU, foreign_markers

pytestmark = pytest.mark.browser

DUTCH_EURO = re.compile("€\u00a0\\d{1,3}(?:\\.\\d{3})+,\\d{2}")


def _sign_in(page: Any, server: Server, caller: str, path: str = "/") -> None:
    page.goto(server.base_url + path)
    page.fill("#token", server.world.tokens[caller])
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state("load")


def _focused(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            """() => {
                const e = document.activeElement;
                const s = getComputedStyle(e);
                return {tag: e.tagName.toLowerCase(), id: e.id, text: e.textContent.trim(),
                        outline: s.outlineStyle, shadow: s.boxShadow};
            }"""
        )
    )


def test_the_sign_in_form_works_from_the_keyboard(
    context: Any, server: Server, artifacts: Path
) -> None:
    page = context.new_page()
    page.goto(server.base_url + "/consortium")
    assert page.url == server.base_url + "/sign-in?next=%2Fconsortium"
    assert page.get_attribute("html", "lang") == "nl"
    order = []
    for _ in range(4):
        page.keyboard.press("Tab")
        focus = _focused(page)
        order.append(focus["id"] or focus["text"])
        assert focus["outline"] != "none" or focus["shadow"] != "none", f"no visible focus: {focus}"
        if focus["id"] == "token":
            page.keyboard.type(server.world.tokens["kracht"])
            page.screenshot(path=str(artifacts / "sign-in.png"))
    assert order == ["Naar de inhoud", "populatie", "token", "Aanmelden"]
    page.keyboard.press("Enter")
    page.wait_for_url(server.base_url + "/consortium")
    assert page.get_by_role("heading", level=1).inner_text() == KRACHT


@pytest.mark.parametrize("caller", ["kracht", "rondomjou"])
def test_a_consortium_sees_its_own_areas_and_never_the_other_partnership(
    context: Any, server: Server, artifacts: Path, caller: str
) -> None:
    partnership = KRACHT if caller == "kracht" else RONDOMJOU
    page = context.new_page()
    requests: list[str] = []
    bodies: list[tuple[str, bytes]] = []

    def keep(response: Any) -> None:
        # Read at once: a body is gone once the page navigates on (a redirect has none).
        if not 300 <= response.status < 400:
            bodies.append((response.url, response.body()))

    page.on("request", lambda r: requests.append(r.url))
    page.on("response", keep)
    _sign_in(page, server, caller)
    assert page.url == server.base_url + "/consortium"

    assert page.get_by_role("heading", level=1).inner_text() == partnership
    for code in AREAS_OF[partnership]:
        assert page.get_by_role("heading", level=3, name=re.compile(code)).is_visible()
    figure = page.locator("svg.map")
    assert figure.is_visible()
    assert figure.locator("path.district").count() > 10
    assert page.locator("svg.chart.line").is_visible()
    assert len(page.locator("svg.chart.bars").all()) == 2
    assert DUTCH_EURO.search(page.inner_text("main"))
    page.screenshot(path=str(artifacts / f"consortium-{caller}.png"), full_page=True)
    # The top of the page (figures, map, first area), as the README shows it.
    page.screenshot(
        path=str(artifacts / f"consortium-{caller}-top.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1560},
    )

    source = page.content()
    foreign = foreign_markers(partnership, server.world.engine)
    for marker in foreign:
        assert marker not in source, f"{marker!r} in the page of {partnership}"
    assert all(url.startswith(server.base_url + "/") for url in requests), requests
    assert {url.split("?")[0] for url, _ in bodies} >= {
        server.base_url + "/consortium",
        server.base_url + "/static/style.css",
    }
    for url, body in bodies:
        text = body.decode("utf-8", errors="replace")
        for marker in foreign:
            assert marker not in text, f"{marker!r} in {url}"

    page.goto(server.base_url + "/finance")
    assert page.get_by_role("heading", level=1).inner_text() == "Niet gevonden"
    page.goto(server.base_url + "/planner")
    assert page.get_by_role("heading", level=1).inner_text() == "Niet gevonden"


def test_a_planner_compares_two_runs_per_area(
    context: Any, server: Server, artifacts: Path
) -> None:
    page = context.new_page()
    _sign_in(page, server, "planner")
    assert page.url == server.base_url + "/planner"
    page.select_option("#base", server.world.adopted_2025)
    page.select_option("#other", server.world.draft_2026)
    page.get_by_label("Gemeente").select_option("GM0518")
    page.get_by_role("button", name="Vergelijken").click()
    page.wait_for_load_state("load")
    table = page.get_by_role("table", name=re.compile("Per gebied"))
    rows = table.locator("tbody tr")
    assert rows.count() == 4
    for i in range(4):
        cells = rows.nth(i).locator("td")
        assert cells.nth(cells.count() - 2).inner_text() == "ja", "the parts add up"
    for name in ("Budget", "Bevolking", "Behoeftemix", "Demping"):
        assert table.get_by_role("columnheader", name=name, exact=True).is_visible()
    assert page.locator("svg.map path.district").count() == 44
    page.screenshot(path=str(artifacts / "planner.png"), full_page=True)
    page.screenshot(  # the README's: the choices, the summary, the map and the table's start
        path=str(artifacts / "planner-top.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1700},
    )
    page.goto(server.base_url + "/finance")
    assert page.get_by_role("heading", level=1).inner_text() == "Geen toegang"


def test_finance_sees_every_municipality_and_downloads_the_xlsx(
    context: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    page = context.new_page()
    _sign_in(page, server, "finance")
    assert page.url == server.base_url + "/finance"
    municipalities = page.get_by_role("table", name=re.compile("Per gemeente"))
    assert municipalities.locator("tbody tr").count() == 10
    lots = page.get_by_role("table", name=re.compile("Per perceel"))
    for lot in ("GM0518/1", "GM0518/2", "GM0518/3", "GM0518/4"):
        assert lots.get_by_role("rowheader", name=lot).first.is_visible()
    page.screenshot(path=str(artifacts / "finance.png"), full_page=True)
    page.screenshot(  # the README's: downloads, key figures, the municipalities
        path=str(artifacts / "finance-top.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1500},
    )
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Excel")).click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name == "reconciliation-2025-12.xlsx"
    book = load_workbook(target)
    # the four sheets of the reconciliation, then one per funding form
    assert book.sheetnames[:4] == ["Verantwoording", "Signaleringen", "Onderbouwing", "Toelichting"]
    assert book.sheetnames[4:] == [nl for _, nl in FUNDING_FORM_SHEETS.values()]
    sheet = book["Verantwoording"]
    assert [c.value for c in sheet[1]][:4] == ["Contract", "Perceel", "Gebied", "Gemeente"]
    assert sheet.max_row > 10
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} >= {
        "GM0518/1",
        "GM0518/2",
    }
    with page.expect_download() as csv_download:
        page.get_by_role("link", name=re.compile("CSV")).click()
    assert csv_download.value.suggested_filename == "reconciliation-2025-12.csv"


def test_an_auditor_reads_the_finance_page_and_signs_out(
    context: Any, server: Server, artifacts: Path
) -> None:
    page = context.new_page()
    _sign_in(page, server, "auditor")
    assert page.url == server.base_url + "/finance"
    assert page.get_by_text("Alleen lezen", exact=True).is_visible()
    page.screenshot(path=str(artifacts / "finance-auditor.png"), full_page=True)
    page.goto(server.base_url + "/planner")
    assert page.get_by_role("heading", level=1).inner_text() == "Geen toegang"
    page.get_by_role("button", name="Afmelden").click()
    page.wait_for_url(re.compile(r"/sign-in\?signed_out=true$"))
    assert page.get_by_text("U bent afgemeld.").is_visible()
    page.goto(server.base_url + "/finance")
    assert page.url.startswith(server.base_url + "/sign-in?next=")
