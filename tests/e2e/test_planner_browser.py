"""The planner's work in a real browser: change a rate, Herbereken, see the new run.

Debian's chromium through Playwright, against the app under uvicorn (see ``conftest.py``). The
busy indication is checked on its own, with the form's submit held back in the page, so the
check does not depend on how fast the server answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.allocations.models import AllocationRun
from tests.e2e.conftest import Server

pytestmark = pytest.mark.browser

YOUTH_CARE = "#f-rate-gm0518-specialist-youth-care-users"


def _sign_in(page: Any, server: Server, path: str) -> None:
    page.goto(server.base_url + path)
    page.fill("#token", server.world.tokens["planner"])
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state("load")


def test_a_planner_recalculates_and_sees_the_new_run(
    context: Any, server: Server, artifacts: Path
) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, server, "/planner/scenario")
    assert page.url == server.base_url + "/planner/scenario"
    assert page.input_value(YOUTH_CARE) == "6000"
    page.fill("#f-name", "browser hoog")
    page.fill(YOUTH_CARE, "8000")
    page.screenshot(path=str(artifacts / "planner-scenario.png"), full_page=False)
    page.get_by_role("button", name="Herbereken").click()
    page.wait_for_url("**/planner/runs?**")
    status = page.get_by_role("status").first.inner_text()
    assert "De run is herberekend en opgeslagen als concept" in status
    assert "scenario browser hoog" in status
    assert page.locator("svg.chart.waterfall").count() == 13
    page.screenshot(path=str(artifacts / "planner-runs.png"), full_page=False)
    # the README's: the heading of the change per area and its first waterfall with its table
    top, bottom = page.evaluate(
        """() => {
            const heading = document.getElementById("waterval").getBoundingClientRect();
            const figure = document.querySelector("figure.waterfall-figure")
                .getBoundingClientRect();
            return [heading.top + window.scrollY, figure.bottom + window.scrollY];
        }"""
    )
    page.screenshot(
        path=str(artifacts / "planner-waterfall.png"),
        full_page=True,
        clip={"x": 0, "y": top - 24, "width": 1280, "height": bottom - top + 48},
    )
    assert not errors, errors
    with Session(server.world.engine) as session:
        stored = session.execute(
            select(AllocationRun).where(col(AllocationRun.scenario) == "browser hoog")
        ).scalar_one()
    rates = stored.config_snapshot["models"]["gm0518"]["rates"]["specialist"]
    assert rates["youth_care_users"] == 8000.0


def test_herbereken_says_it_is_busy_and_cannot_be_pressed_twice(
    context: Any, server: Server
) -> None:
    page = context.new_page()
    _sign_in(page, server, "/planner/scenario")
    # Hold the submit back (after the page's own handler ran), to look at the form meanwhile.
    page.evaluate(
        """() => document.getElementById("scenario-form")
                 .addEventListener("submit", (e) => e.preventDefault())"""
    )
    button = page.locator("#scenario-form button[type=submit]")
    button.click()
    page.wait_for_function(
        """() => document.querySelector("#scenario-form button[type=submit]").disabled"""
    )
    assert button.inner_text() == "Bezig met herberekenen…"
    assert page.get_attribute("#scenario-form", "aria-busy") == "true"
    assert page.inner_text("#herbereken-status") == "Bezig met herberekenen…"


def test_a_bad_field_is_named_and_reachable_from_the_summary(context: Any, server: Server) -> None:
    page = context.new_page()
    _sign_in(page, server, "/planner/scenario")
    page.fill(YOUTH_CARE, "veel")
    page.get_by_role("button", name="Herbereken").click()
    page.wait_for_load_state("load")
    alert = page.get_by_role("alert")
    assert "Er is niets opgeslagen" in alert.inner_text()
    alert.get_by_role("link").first.click()
    focused = page.evaluate("() => document.activeElement.id")
    assert focused == YOUTH_CARE.removeprefix("#")
    assert page.input_value(YOUTH_CARE) == "veel"
