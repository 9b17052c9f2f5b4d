"""The four-eyes forms and the budget totals form on the pages, posted as a browser posts them
(with the page's CSRF token), through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption
from populatie.app import create_app
from populatie.auth.models import AuditEvent
from populatie.auth.tokens import issue_token
from populatie.budget_totals.models import BudgetTotal
from populatie.db import session_scope
from populatie.proposals.models import RunProposal
from tests.integration.api_support import World, build_world
from tests.integration.web_support import form_token, sign_in


@pytest.fixture
def world(engine: Engine) -> World:
    world = build_world(engine)
    with session_scope(engine) as session:
        second = issue_token(session, "finance", None, "tweede", "test").token
    return World(
        engine=engine,
        tokens={**world.tokens, "finance2": second},
        adopted_2025=world.adopted_2025,
        draft_2026=world.draft_2026,
    )


@pytest.fixture
def as_(world: World) -> Iterator[dict[str, TestClient[Litestar]]]:
    """One signed-in browser per caller, each on a server process of its own (they share
    sessions and the CSRF secret through the database, as workers do)."""
    with ExitStack() as stack:
        clients: dict[str, TestClient[Litestar]] = {}
        for who in ("planner", "finance", "finance2", "auditor"):
            client = stack.enter_context(
                TestClient(create_app(world.engine), base_url="http://populatie.test")
            )
            sign_in(client, world.tokens[who])
            clients[who] = client
        yield clients


def _planner_path(world: World) -> str:
    return f"/planner?base={world.adopted_2025}&other={world.draft_2026}"


def _state(engine: Engine, run_id: str) -> str | None:
    with Session(engine) as session:
        row = session.get(RunProposal, run_id)
        return None if row is None else row.state


def _propose(client: TestClient[Litestar], world: World, note: str = "klaar") -> object:
    path = _planner_path(world)
    page = client.get(path)
    assert page.status_code == 200, page.text
    assert "Voorstellen ter vaststelling" in page.text
    form = {
        "_csrf_token": form_token(client, path),
        "run_id": world.draft_2026,
        "base": world.adopted_2025,
        "note": note,
    }
    return client.post("/planner/proposal", data=form, follow_redirects=False)


def test_a_planner_proposes_on_the_page_and_finance_approves_there(
    world: World, as_: dict[str, TestClient[Litestar]]
) -> None:
    planner, finance = as_["planner"], as_["finance"]
    # without the form's token the post is refused and nothing is written
    bare = planner.post(
        "/planner/proposal",
        data={"run_id": world.draft_2026, "note": "x"},
        follow_redirects=False,
    )
    assert bare.status_code == 403
    assert _state(world.engine, world.draft_2026) is None
    empty = _propose(planner, world, note="  ")
    assert empty.status_code == 400  # type: ignore[attr-defined]
    assert "toelichting" in empty.text  # type: ignore[attr-defined]
    assert _state(world.engine, world.draft_2026) is None

    done = _propose(planner, world, note="past binnen de kaders")
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    assert world.draft_2026 in done.headers["location"]  # type: ignore[attr-defined]
    assert _state(world.engine, world.draft_2026) == "proposed"
    shown = planner.get(_planner_path(world)).text
    assert "voorgesteld ter vaststelling" in shown
    assert re.search(r"door planner \(sleutel \d+\): past binnen de kaders", shown)
    assert "token:" not in shown
    assert "past binnen de kaders" in shown
    assert 'action="/planner/proposal"' not in shown  # proposed once, not twice

    finance_page = finance.get("/finance")
    assert finance_page.status_code == 200, finance_page.text
    assert f"/finance/proposals/{world.draft_2026}/approval" in finance_page.text
    assert "Goedkeuren" in finance_page.text
    assert re.search(r"Voorgesteld door planner \(sleutel \d+\), ", finance_page.text)
    assert "token:" not in finance_page.text
    assert "Afwijzen" in finance_page.text
    approved = finance.post(
        f"/finance/proposals/{world.draft_2026}/approval",
        data={"_csrf_token": form_token(finance, "/finance")},
        follow_redirects=False,
    )
    assert approved.status_code == 303, approved.text
    assert _state(world.engine, world.draft_2026) == "approved"
    with Session(world.engine) as session:
        adoption = session.get(Adoption, (2026, "GM0518"))
        assert adoption is not None
        assert adoption.run_id == world.draft_2026
        actions = list(
            session.execute(
                select(col(AuditEvent.action))
                .where(col(AuditEvent.target) == f"run:{world.draft_2026}")
                .order_by(col(AuditEvent.id))
            ).scalars()
        )
    assert actions == ["run.propose", "run.approve", "run.adopt"]
    after = finance.get("/finance").text
    assert "token:" not in after
    assert re.search(r"financiën \(sleutel \d+\), \d\d-\d\d-\d{4}", after)  # who decided
    assert f"/finance/proposals/{world.draft_2026}/approval" not in after
    assert "goedgekeurd" in after


def test_finance_cannot_approve_its_own_proposal_on_the_page(
    world: World, as_: dict[str, TestClient[Litestar]]
) -> None:
    finance, other = as_["finance"], as_["finance2"]
    assert _propose(finance, world).status_code == 303  # type: ignore[attr-defined]
    for path, extra in (("approval", {}), ("rejection", {"reason": "nee"})):
        refused = finance.post(
            f"/finance/proposals/{world.draft_2026}/{path}",
            data={"_csrf_token": form_token(finance, "/finance"), **extra},
            follow_redirects=False,
        )
        assert refused.status_code == 403, refused.text
        assert "zelf voorgesteld" in refused.text
        assert "vier ogen" in refused.text
    assert _state(world.engine, world.draft_2026) == "proposed"
    # another finance token's reject needs a reason, then takes it
    csrf = form_token(other, "/finance")
    no_reason = other.post(
        f"/finance/proposals/{world.draft_2026}/rejection",
        data={"_csrf_token": csrf, "reason": " "},
        follow_redirects=False,
    )
    assert no_reason.status_code == 400
    assert "reden" in no_reason.text
    rejected = other.post(
        f"/finance/proposals/{world.draft_2026}/rejection",
        data={"_csrf_token": csrf, "reason": "eerst de tarieven afstemmen"},
        follow_redirects=False,
    )
    assert rejected.status_code == 303, rejected.text
    assert _state(world.engine, world.draft_2026) == "rejected"
    assert "eerst de tarieven afstemmen" in other.get("/finance").text
    late = other.post(
        f"/finance/proposals/{world.draft_2026}/approval",
        data={"_csrf_token": csrf},
        follow_redirects=False,
    )
    assert late.status_code == 409
    with Session(world.engine) as session:
        assert session.get(Adoption, (2026, "GM0518")) is None


def test_only_finance_decides_and_sets_totals_on_the_pages(
    world: World, as_: dict[str, TestClient[Litestar]]
) -> None:
    auditor, planner = as_["auditor"], as_["planner"]
    page = auditor.get("/finance").text
    assert 'action="/finance/budget-totals"' not in page  # read only: no forms
    csrf = form_token(auditor, "/finance")
    for who, client in (("auditor", auditor), ("planner", planner)):
        for path in (
            f"/finance/proposals/{world.draft_2026}/approval",
            "/finance/budget-totals",
        ):
            response = client.post(path, data={"_csrf_token": csrf}, follow_redirects=False)
            assert response.status_code == 403, (who, path, response.text)


def test_finance_sets_budget_totals_on_the_page(
    world: World, as_: dict[str, TestClient[Litestar]]
) -> None:
    finance = as_["finance"]
    page = finance.get("/finance")
    assert 'action="/finance/budget-totals"' in page.text
    form = {
        "_csrf_token": form_token(finance, "/finance"),
        "year": "2027",
        "municipality": "GM0629",
        "prevention": "900.000,00",
        "access": "2.100.000",
        "specialist": "5600000,50",
        "reason": "amendement",
        "basis": "raadsbesluit 2026-41",
    }
    bad = finance.post(
        "/finance/budget-totals",
        data={**form, "access": "2,100,000", "reason": ""},
        follow_redirects=False,
    )
    assert bad.status_code == 400
    assert "Toegang en basiszorg" in bad.text
    assert "Reden" in bad.text
    with Session(world.engine) as session:
        assert session.get(BudgetTotal, (2027, "GM0629")) is None
    done = finance.post("/finance/budget-totals", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    with Session(world.engine) as session:
        row = session.get(BudgetTotal, (2027, "GM0629"))
        assert row is not None
        assert (row.prevention_cents, row.access_cents, row.specialist_cents) == (
            90_000_000,
            210_000_000,
            560_000_050,
        )
        (event,) = session.execute(
            select(AuditEvent).where(col(AuditEvent.action) == "budget_totals.set")
        ).scalars()
        assert event.target == "budget_totals/2027/GM0629"
        assert event.role == "finance"
    same = finance.post("/finance/budget-totals", data=form, follow_redirects=False)
    assert same.status_code == 409
    shown = finance.get("/finance?year=2025").text
    assert re.search(r"Budgettotalen 2025", shown)
    # each municipality by its name, its code beside it, as in the form
    assert re.search(r'<th scope="row">Delft <span class="code">GM0503</span></th>', shown)
