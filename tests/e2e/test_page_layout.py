"""Every page, as each role, in Debian's chromium: no horizontal scroll on a 390 px wide phone,
and no WCAG 2.2 AA violation axe-core can find, at phone and desk widths.

axe-core comes with ``axe-playwright-python`` (MPL-2.0) and is put into the page by the test
alone; the pages run no script but the scenario form's own busy indication.

The consortium's year against last year needs two adopted years, and the shared world adopts only
2025: this module adopts its 2026 run for its own pages and puts the world back afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, AllocationRun
from populatie.allocations.service import adopt
from tests.e2e.conftest import Server

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# (caller, the pages it works on); None: not signed in. {adopted_2025} and {draft_2026} stand
# for the world's two runs; while this module runs both years are adopted (see below), so the
# consortium's years are named.
RUNS_SIDE_BY_SIDE = (
    "/planner/runs?run={adopted_2025}&run={draft_2026}&explain={draft_2026}&new={draft_2026}"
)
PLANNER_PAGES = ["/planner/scenario", RUNS_SIDE_BY_SIDE, "/planner/estimate"]
# a demo contract with go/no-go milestones, Kracht's own
DOSSIER = "/dossier?contract=DEMO-H10-GM0518-P1"
PAGES = [
    (None, ["/sign-in", "/bestaat-niet"]),
    (
        "kracht",
        ["/consortium?year=2025", "/consortium?year=2026", "/finance", "/kpis", DOSSIER],
    ),
    ("rondomjou", ["/consortium?year=2025", "/consortium?year=2026", "/kpis"]),
    ("planner", ["/planner", "/finance", "/kpis", *PLANNER_PAGES]),
    (
        "finance",
        ["/finance", "/planner", "/finance?year=2025&to=3", "/kpis", DOSSIER, *PLANNER_PAGES],
    ),
    ("auditor", ["/finance", "/planner", "/planner/scenario", "/kpis"]),
]


@pytest.fixture(scope="module", autouse=True)
def last_year_adopted(server: Server) -> Iterator[None]:
    """2026's run adopted while this module runs, so the consortium page has a year before it to
    compare with; afterwards the world is as the other modules expect it (2026 a draft)."""
    engine, run_id = server.world.engine, server.world.draft_2026
    with Session(engine) as session:
        adopt(session, run_id, "test")
        session.commit()
    yield
    with Session(engine) as session:
        session.execute(delete(Adoption).where(col(Adoption.run_id) == run_id))
        run = session.get(AllocationRun, run_id)
        assert run is not None
        assert run.adopted_at is not None
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


def _context(browser: Any, viewport: dict[str, int]) -> Any:
    # The pages allow no script; the test's own axe-core must still run in them.
    return browser.new_context(viewport=viewport, locale="nl-NL", bypass_csp=True)


@pytest.fixture(params=["phone", "desk"])
def sized(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[str, Any]]:
    ctx = _context(browser, PHONE if request.param == "phone" else DESK)
    yield request.param, ctx
    ctx.close()


def _sign_in(page: Any, server: Server, caller: str) -> None:
    page.goto(server.base_url + "/sign-in")
    page.fill("#token", server.world.tokens[caller])
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state("load")


def _open_details(page: Any) -> None:
    """Tables folded under a summary count too: open them before measuring."""
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")


@pytest.mark.parametrize(("caller", "paths"), PAGES, ids=[c or "anonymous" for c, _ in PAGES])
def test_every_page_fits_a_phone_and_passes_axe(
    sized: tuple[str, Any],
    server: Server,
    axe: Any,
    artifacts: Path,
    caller: str | None,
    paths: list[str],
) -> None:
    size, ctx = sized
    page = ctx.new_page()
    if caller is not None:
        _sign_in(page, server, caller)
    runs = {"adopted_2025": server.world.adopted_2025, "draft_2026": server.world.draft_2026}
    for path in (p.format(**runs) for p in paths):
        response = page.goto(server.base_url + path)
        assert response is not None
        if path.startswith(("/planner/", "/consortium", "/dossier")) and caller != "auditor":
            assert response.status == 200, f"{path} as {caller}: {response.status}"
        if "2026" in path or "explain" in path:
            # the parts this check is for are there: the waterfalls with their legend
            assert page.locator("svg.chart.waterfall").count() > 0, path
            assert page.locator("ul.legend").count() > 0, path
        _open_details(page)
        if size == "phone":
            width = page.evaluate("() => document.scrollingElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} as {caller}: {width} px wide"
            name = re.sub(r"[^a-z0-9]+", "-", f"{caller or 'anonymous'}{path}")[:60].strip("-")
            page.screenshot(path=str(artifacts / f"phone-{name}.png"), full_page=False)
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        violations = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
        ]
        assert violations == [], f"{path} as {caller} ({size}): {violations}"
        assert results.response["testEngine"]["version"].startswith("4.")


def test_the_phone_check_can_fail(browser: Any, server: Server) -> None:
    """The measure is real: a page made wider than the phone is caught."""
    ctx = _context(browser, PHONE)
    try:
        page = ctx.new_page()
        page.goto(server.base_url + "/sign-in")
        page.evaluate(
            "() => { const d = document.createElement('div'); d.style.width = '600px';"
            " d.style.height = '1px'; document.querySelector('main').append(d); }"
        )
        assert page.evaluate("() => document.scrollingElement.scrollWidth") > PHONE["width"]
    finally:
        ctx.close()


def test_the_axe_check_can_fail(browser: Any, server: Server, axe: Any) -> None:
    """axe-core really runs in the page: a control without a name and text without contrast
    are found."""
    ctx = _context(browser, DESK)
    try:
        page = ctx.new_page()
        page.goto(server.base_url + "/sign-in")
        page.evaluate(
            "() => { const m = document.querySelector('main');"
            " m.insertAdjacentHTML('beforeend', '<input type=\"text\">"
            '<p style="color:#eee;background:#fff">nauwelijks te lezen</p>\'); }'
        )
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        found = {v["id"] for v in results.response["violations"]}
        assert {"label", "color-contrast"} <= found
    finally:
        ctx.close()


# Two rows the importer refuses: an amount that is no amount, a date that is no date.
REFUSED_FILE = (
    "booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,"
    "description\n"
    "2025-03-10,GM0518,,DEMO-H10-GM0518-P1,specialist,Incluzio Randstad B.V.,veel,BAD-1,x\n"
    "10 maart,GM0518,,DEMO-H10-GM0518-P1,specialist,Incluzio Randstad B.V.,12.00,BAD-2,x\n"
)


def _fits_and_passes(page: Any, size: str, what: str, axe: Any) -> None:
    if size == "phone":
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{what}: {width} px wide"
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    violations = [(v["id"], v["impact"]) for v in results.response["violations"]]
    assert violations == [], f"{what} ({size}): {violations}"


def test_a_refused_upload_fits_a_phone_and_passes_axe(
    sized: tuple[str, Any], server: Server, axe: Any, tmp_path: Path
) -> None:
    """The upload's result is the answer to a form, not a page to go to: posted from the finance
    page, the refusal with its table of errors is checked as every page is."""
    size, ctx = sized
    page = ctx.new_page()
    _sign_in(page, server, "finance")
    page.goto(server.base_url + "/finance")
    refused = tmp_path / "afgewezen.csv"
    refused.write_text(REFUSED_FILE, encoding="utf-8")
    page.set_input_files("#spending-file", str(refused))
    with page.expect_navigation() as answer:
        page.get_by_role("button", name="Inlezen").click()
    assert answer.value.status == 422
    assert page.locator("table.upload-errors tbody tr").count() == 2
    _fits_and_passes(page, size, "the refused upload", axe)


def test_a_refused_contract_form_fits_a_phone_and_passes_axe(
    sized: tuple[str, Any], server: Server, axe: Any
) -> None:
    """A new contract sent without any field comes back with its errors per field, and that
    answer too fits a phone and passes axe; nothing is written."""
    size, ctx = sized
    page = ctx.new_page()
    _sign_in(page, server, "finance")
    page.goto(server.base_url + "/finance")
    with page.expect_navigation() as answer:
        page.get_by_role("button", name="Contract vastleggen").click()
    assert answer.value.status == 422
    assert page.locator("#form-register .utrecht-alert--error").count() == 1
    assert page.locator("#form-register .utrecht-form-field-error-message").count() >= 4
    _fits_and_passes(page, size, "the refused contract form", axe)
