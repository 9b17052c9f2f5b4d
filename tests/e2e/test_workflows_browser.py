"""The work of issue 14 done on the pages, as each role, in Debian's chromium: a planner
recalculates and proposes the run for adoption, finance approves it or rejects another with a
reason, nobody approves a run they proposed, finance sets budget totals, and a consortium
downloads its budgets and sees this year against last year. Every page visited passes axe-core's
WCAG 2.2 AA rules with no violation.

The approvals adopt runs in the shared world; this module puts every adoption back as it found
it, so the other modules see the world they expect.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, AllocationRun
from populatie.allocations.service import adopt
from populatie.budget_totals.service import list_totals
from populatie.proposals.service import proposal_of
from tests.e2e.conftest import ARTIFACTS, Server
from tests.e2e.test_page_layout import WCAG_22_AA
from tests.e2e.world import AREAS_OF, KRACHT, foreign_markers

pytestmark = pytest.mark.browser

YOUTH_CARE = "#f-rate-gm0518-specialist-youth-care-users"
FOUR_EYES = "U hebt deze run zelf voorgesteld"


@pytest.fixture(scope="module", autouse=True)
def adoptions_restored(server: Server) -> Iterator[None]:
    """The adoptions as they were before this module, afterwards: the runs approved here are
    drafts again and the world's own adoptions are back."""
    engine = server.world.engine
    with Session(engine) as session:
        kept = [
            (a.year, a.municipality_code, a.run_id, a.adopted_at, a.adopted_by)
            for a in session.execute(select(Adoption)).scalars()
        ]
        adopted_before = {
            r.id for r in session.execute(select(AllocationRun)).scalars() if r.adopted_at
        }
    yield
    with Session(engine) as session:
        session.execute(delete(Adoption))
        for year, municipality, run_id, at, by in kept:
            session.add(
                Adoption(
                    year=year, municipality_code=municipality, run_id=run_id, adopted_at=at,
                    adopted_by=by,
                )
            )  # fmt: skip
        for run in session.execute(select(AllocationRun)).scalars():
            if run.id not in adopted_before and run.adopted_at is not None:
                run.adopted_at, run.adopted_by = None, None
                session.add(run)
        session.commit()


@pytest.fixture(scope="module")
def axe() -> Any:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.skip("axe-playwright-python is not installed: pip install -e '.[dev]'")
    return Axe()


@pytest.fixture
def open_context(browser: Any) -> Iterator[Any]:
    """A fresh profile per caller; axe-core is put into pages that allow no script."""
    contexts: list[Any] = []

    def new() -> Any:
        ctx = browser.new_context(
            viewport={"width": 1280, "height": 900},
            locale="nl-NL",
            accept_downloads=True,
            bypass_csp=True,
        )
        contexts.append(ctx)
        return ctx

    yield new
    for ctx in contexts:
        ctx.close()


def _accessible(page: Any, axe: Any) -> None:
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    violations = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
    ]
    assert violations == [], f"{page.url}: {violations}"


def _signed_in(ctx: Any, server: Server, caller: str, path: str) -> Any:
    page = ctx.new_page()
    page.goto(server.base_url + path)
    page.fill("#token", server.world.tokens[caller])
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state("load")
    assert page.url == server.base_url + path, page.url
    return page


def _recalculate(page: Any, axe: Any, server: Server, scenario: str, rate: str) -> str:
    """Herbereken on the scenario form with one rate changed; the id of the stored run."""
    page.goto(server.base_url + "/planner/scenario")
    _accessible(page, axe)
    page.fill("#f-name", scenario)
    page.fill(YOUTH_CARE, rate)
    page.get_by_role("button", name="Herbereken").click()
    page.wait_for_url("**/planner/runs?**")
    assert "De run is herberekend" in page.get_by_role("status").first.inner_text()
    _accessible(page, axe)
    with Session(server.world.engine) as session:
        return str(
            session.execute(
                select(col(AllocationRun.id)).where(col(AllocationRun.scenario) == scenario)
            ).scalar_one()
        )


def _propose(page: Any, axe: Any, server: Server, run_id: str, note: str) -> None:
    """On the comparison page, with the new run as the comparison run: propose it."""
    page.goto(f"{server.base_url}/planner?base={server.world.adopted_2025}&other={run_id}")
    panel = page.locator(
        "section", has=page.get_by_role("heading", name="Voorstellen ter vaststelling")
    )
    assert "niet voorgesteld" in panel.inner_text()
    _accessible(page, axe)
    page.get_by_label("Toelichting (verplicht)").fill(note)
    panel.get_by_role("button", name="Voorstellen ter vaststelling").click()
    page.wait_for_load_state("load")
    assert page.url.startswith(server.base_url + "/planner?")
    assert page.url.endswith("#voorstel"), "back at the panel that shows the proposal"
    panel = page.locator(
        "section", has=page.get_by_role("heading", name="Voorstellen ter vaststelling")
    )
    text = panel.inner_text()
    assert "voorgesteld ter vaststelling" in text
    assert note in text
    assert panel.get_by_role("button").count() == 0, "a proposed run cannot be proposed again"
    panel.screenshot(path=str(ARTIFACTS / "planner-proposed.png"))
    _accessible(page, axe)


def _panel(page: Any) -> Any:
    """The planner's proposal section of the comparison page."""
    return page.locator(
        "section", has=page.get_by_role("heading", name="Voorstellen ter vaststelling")
    )


def _proposal_card(page: Any, scenario: str) -> Any:
    card = page.locator("article.proposal", has_text=scenario)
    assert card.count() == 1, f"{scenario}: {card.count()} proposals on the page"
    return card


def test_a_planner_proposes_and_finance_approves(
    open_context: Any, server: Server, axe: Any, artifacts: Path
) -> None:
    planner = _signed_in(open_context(), server, "planner", "/planner/scenario")
    run_id = _recalculate(planner, axe, server, "voorstel goedkeuren", "7000")
    note = "Hoger tarief jeugdhulp, zoals besproken"
    _propose(planner, axe, server, run_id, note)
    with Session(server.world.engine) as session:
        assert proposal_of(session, run_id).state == "proposed"
        assert session.get(AllocationRun, run_id).adopted_at is None  # type: ignore[union-attr]

    finance = _signed_in(open_context(), server, "finance", "/finance")
    card = _proposal_card(finance, "voorstel goedkeuren")
    assert note in card.inner_text()
    card.screenshot(path=str(artifacts / "finance-proposal.png"))
    _accessible(finance, axe)
    card.get_by_role("button", name="Goedkeuren").click()
    finance.wait_for_load_state("load")
    assert finance.url == server.base_url + "/finance?year=2025#voorstellen"
    assert finance.locator("article.proposal", has_text="voorstel goedkeuren").count() == 0
    decided = finance.get_by_role("table", name="Laatste besluiten over voorstellen")
    row = decided.get_by_role("row", name=re.compile("voorstel goedkeuren"))
    assert "goedgekeurd" in row.inner_text()
    finance.screenshot(path=str(artifacts / "finance-proposal-approved.png"), full_page=False)
    _accessible(finance, axe)

    with Session(server.world.engine) as session:
        run = session.get(AllocationRun, run_id)
        assert run is not None
        assert run.adopted_at is not None
        in_force = {
            a.municipality_code
            for a in session.execute(
                select(Adoption).where(col(Adoption.run_id) == run_id)
            ).scalars()
        }
        assert in_force == set(run.municipalities)

    # The planner sees the run adopted: its panel says so and offers nothing more.
    planner.goto(f"{server.base_url}/planner?base={server.world.adopted_2025}&other={run_id}")
    panel = _panel(planner)
    text = panel.inner_text()
    assert "goedgekeurd" in text
    assert "vastgesteld" in text
    assert panel.get_by_role("button").count() == 0
    chosen = planner.locator("#other option:checked").inner_text()
    assert "vastgesteld" in chosen, chosen
    _accessible(planner, axe)


def test_finance_cannot_approve_its_own_proposal(
    open_context: Any, server: Server, axe: Any
) -> None:
    """Finance holds both rights (it may plan and decide): the four-eyes rule still refuses."""
    finance = _signed_in(open_context(), server, "finance", "/planner/scenario")
    run_id = _recalculate(finance, axe, server, "eigen voorstel", "6500")
    _propose(finance, axe, server, run_id, "Door financiën zelf voorgesteld")
    finance.goto(server.base_url + "/finance")
    card = _proposal_card(finance, "eigen voorstel")
    card.get_by_role("button", name="Goedkeuren").click()
    finance.wait_for_load_state("load")
    assert finance.get_by_role("heading", level=1).inner_text() == "Niet uitgevoerd"
    assert FOUR_EYES in finance.inner_text("main")
    _accessible(finance, axe)
    with Session(server.world.engine) as session:
        assert proposal_of(session, run_id).state == "proposed"
        run = session.get(AllocationRun, run_id)
        assert run is not None
        assert run.adopted_at is None


def test_finance_rejects_a_proposal_with_a_reason(
    open_context: Any, server: Server, axe: Any
) -> None:
    planner = _signed_in(open_context(), server, "planner", "/planner/scenario")
    run_id = _recalculate(planner, axe, server, "voorstel afwijzen", "9000")
    _propose(planner, axe, server, run_id, "Een ruimer tarief")

    finance = _signed_in(open_context(), server, "finance", "/finance")
    card = _proposal_card(finance, "voorstel afwijzen")
    # Without a reason the browser itself holds the form back: the field is required.
    card.get_by_role("button", name="Afwijzen").click()
    assert finance.url == server.base_url + "/finance"
    assert _proposal_card(finance, "voorstel afwijzen").count() == 1
    reason = "Past niet binnen het budget van 2026"
    card.get_by_label("Reden van afwijzen (verplicht)").fill(reason)
    card.get_by_role("button", name="Afwijzen").click()
    finance.wait_for_load_state("load")
    assert finance.url.endswith("#voorstellen")
    assert finance.locator("article.proposal", has_text="voorstel afwijzen").count() == 0
    decided = finance.get_by_role("table", name="Laatste besluiten over voorstellen")
    row = decided.get_by_role("row", name=re.compile("voorstel afwijzen"))
    assert "afgewezen" in row.inner_text()
    assert reason in row.inner_text()
    assert re.search(r"financiën \(sleutel \d+\)", row.inner_text())  # who, in words
    assert "token:" not in row.inner_text()
    _accessible(finance, axe)
    with Session(server.world.engine) as session:
        view = proposal_of(session, run_id)
        assert view.state == "rejected"
        assert view.reason == reason
        run = session.get(AllocationRun, run_id)
        assert run is not None
        assert run.adopted_at is None

    # The planner sees the reason, and may propose the run again.
    planner.goto(f"{server.base_url}/planner?base={server.world.adopted_2025}&other={run_id}")
    panel = _panel(planner)
    assert "afgewezen" in panel.inner_text()
    assert reason in panel.inner_text()
    assert panel.get_by_role("button", name="Voorstellen ter vaststelling").is_visible()
    _accessible(planner, axe)


def test_finance_sets_budget_totals_on_the_page(
    open_context: Any, server: Server, axe: Any
) -> None:
    finance = _signed_in(open_context(), server, "finance", "/finance")
    form = finance.locator("form[action='/finance/budget-totals']")
    _accessible(finance, axe)
    form.screenshot(path=str(ARTIFACTS / "finance-budget-totals.png"))
    year = 2031  # a year no run divides, so the other tests' figures stay as they are
    amounts = {  # illustrative amounts, in euro as a Dutch user types them
        "specialist": ("1.234.567,89", 123456789),
        "prevention": ("45.000", 4500000),
    }
    form.get_by_label("Jaar").fill(str(year))
    form.get_by_label("Gemeente").select_option("GM0518")
    domains = [i.get_attribute("name") for i in form.locator("input[inputmode=decimal]").all()]
    expected: dict[str, int] = {}
    for n, domain in enumerate(domains):
        assert domain is not None
        text, cents = amounts.get(domain, (f"{n + 1}00,5{n}", (n + 1) * 10000 + 50 + n))
        form.locator(f"#totalen-{domain}").fill(text)
        expected[domain] = cents
    form.get_by_role("button", name="Budgettotalen vastleggen").click()
    # the reason is required: the browser holds the form back
    assert finance.url == server.base_url + "/finance"
    form.get_by_label("Reden (verplicht)").fill("Raming na de voorjaarsnota")
    form.get_by_role("button", name="Budgettotalen vastleggen").click()
    finance.wait_for_load_state("load")
    assert finance.get_by_role("heading", level=1).inner_text() != "Niet uitgevoerd"
    with Session(server.world.engine) as session:
        stored = {v.municipality: v for v in list_totals(session, year)}
    assert set(stored) == {"GM0518"}
    assert stored["GM0518"].cents == expected
    # Back on the page at the totals of the year just set, not the reconciliation's year.
    assert finance.url.endswith(f"totaaljaar={year}#budgettotalen"), finance.url
    assert finance.get_by_role("heading", name=f"Budgettotalen {year}").is_visible()
    table = finance.get_by_role("table", name=re.compile(f"Budgettotalen {year}:"))
    assert table.locator("tbody tr").count() == 1
    assert "1.234.567,89" in table.get_by_role("row", name=re.compile("GM0518")).inner_text()

    # A bad amount is named and nothing is written.
    form = finance.locator("form[action='/finance/budget-totals']")
    form.get_by_label("Jaar").fill(str(year))
    form.get_by_label("Gemeente").select_option("GM0518")
    for domain in domains:
        form.locator(f"#totalen-{domain}").fill("veel")
    form.get_by_label("Reden (verplicht)").fill("fout")
    form.get_by_role("button", name="Budgettotalen vastleggen").click()
    finance.wait_for_load_state("load")
    assert finance.get_by_role("heading", level=1).inner_text() == "Niet uitgevoerd"
    assert "'veel' is geen bedrag in euro" in finance.inner_text("main")
    _accessible(finance, axe)
    with Session(server.world.engine) as session:
        assert [v.version for v in list_totals(session, year)] == [stored["GM0518"].version]


def test_a_consortium_downloads_its_budgets_and_sees_last_year(
    open_context: Any, server: Server, axe: Any, tmp_path: Path
) -> None:
    engine = server.world.engine
    with Session(engine) as session:
        adopt(session, server.world.draft_2026, "test")
        session.commit()
    page = _signed_in(open_context(), server, "kracht", "/consortium?year=2026")
    heading = page.get_by_role("heading", level=2, name="2026 tegen 2025")
    assert heading.is_visible()
    tables = page.get_by_role("table", name=re.compile("2026 tegen 2025 per domein"))
    assert tables.count() == len(AREAS_OF[KRACHT])
    first = tables.first
    for header in ("2025", "2026", "Verschil"):
        assert first.get_by_role("columnheader", name=header, exact=True).is_visible()
    assert page.locator("svg.chart.waterfall").count() > 0
    source = page.content()
    for marker in foreign_markers(KRACHT):
        assert marker not in source
    _accessible(page, axe)

    with page.expect_download() as download:
        page.get_by_role("link", name="Uw budgetten 2026 als Excel (XLSX)").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    book = load_workbook(target)
    assert book.sheetnames == ["Budgetten"]
    sheet = book["Budgetten"]
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == ["Jaar", "Gebiedscode", "Naam", "Gemeente", "Samenwerkingsverband"]
    assert "Preventie" in headers
    assert all(isinstance(h, str) and "_" not in h for h in headers), headers
    assert sheet.auto_filter.ref is not None
    second = list(sheet[2])
    assert any(isinstance(c.value, datetime) for c in second), "the adoption date is a date cell"
    assert any("€" in c.number_format for c in second), "the amounts are euro cells"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    year_at, area_at = headers.index("Jaar"), headers.index("Gebiedscode")
    assert {r[year_at] for r in rows} == {2026}
    assert {r[area_at] for r in rows} == set(AREAS_OF[KRACHT])

    with page.expect_download() as every_year:
        page.get_by_role("link", name="Uw budgetten van alle jaren als Excel (XLSX)").click()
    target = tmp_path / ("alle-" + every_year.value.suggested_filename)
    every_year.value.save_as(target)
    rows = list(load_workbook(target)["Budgetten"].iter_rows(min_row=2, values_only=True))
    assert {r[year_at] for r in rows} == {2025, 2026}
    assert {r[area_at] for r in rows} == set(AREAS_OF[KRACHT])
