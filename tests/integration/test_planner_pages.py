"""The planner's pages through the real app: the scenario form and "Herbereken", the runs side
by side with each area's waterfall and distance from its target, and estimation on the page.

Expectations are computed apart from the pages: from the stored rows of each run
(``run_area``), the audit log and the budget totals, never copied from a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.allocations.models import AllocationRun, RunArea
from populatie.allocations.service import list_runs, run_standing
from populatie.app import create_app
from populatie.auth.authors import author_name
from populatie.auth.models import AuditEvent
from populatie.configuration import DOMAINS
from populatie.db import make_engine, migrate
from populatie.planning.pages import run_labels
from populatie.planning.pages.runs import _computed_changes, _stored_changes
from populatie.web.formatting import RUN_STATUS_LABELS, euro
from tests.e2e.world import build_web_world
from tests.integration.api_support import World
from tests.integration.web_support import form_token, page_client, sign_in

INPUT = re.compile(r'<input type="(?:text|hidden)"[^>]*?name="([^"]+)" value="([^"]*)"')
YOUTH_CARE = "rate:gm0518:specialist:youth_care_users"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("planner")
    engine = make_engine(f"sqlite:///{(folder / 'planner.db').as_posix()}")
    migrate(engine)
    yield build_web_world(engine, folder)
    engine.dispose()


@pytest.fixture(scope="module")
def app(world: World) -> Litestar:
    return create_app(world.engine)


def _form(client: TestClient[Litestar], year: int = 2026) -> dict[str, str]:
    """The scenario form's fields as the page fills them, with its CSRF token."""
    html = client.get(f"/planner/scenario?year={year}").text
    fields = dict(INPUT.findall(html))
    fields["_csrf_token"] = form_token(client, f"/planner/scenario?year={year}")
    return fields


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        runs = session.execute(select(func.count()).select_from(AllocationRun)).scalar_one()
        events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return int(runs), int(events)


def _rows(engine: Engine, run_id: str) -> list[RunArea]:
    with Session(engine) as session:
        return list(session.execute(select(RunArea).where(col(RunArea.run_id) == run_id)).scalars())


def _recalculate(client: TestClient[Litestar], fields: dict[str, str]) -> str:
    """Post the form; the id of the stored run, from where the browser is sent."""
    response = client.post("/planner/scenario", data=fields, follow_redirects=False)
    assert response.status_code == 303, response.text[:2000]
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["new"][0]


def test_the_form_is_prefilled_from_the_configuration_and_the_stored_totals(
    app: Litestar, world: World
) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        fields = _form(client, 2026)
    assert fields["year"] == "2026"
    assert fields[YOUTH_CARE] == "6000"  # config/model.toml
    assert fields["rate:default:access:inhabitants"] == "75"
    assert fields["base:access"] == "100000,00"
    assert fields["damping:max_change_pct"] == "5"
    assert fields["damping:min_growth_pct"] == ""
    with Session(world.engine) as session:
        run = session.get(AllocationRun, world.draft_2026)
        assert run is not None
        stored = run.budget_cents  # the totals of record when the world was built
    for municipality, per_domain in stored.items():
        for domain, cents in per_domain.items():
            typed = fields[f"budget:{municipality}:{domain}"]
            assert int(typed.replace(",", "")) == cents


def test_the_form_of_a_year_with_an_adopted_run_is_that_runs(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        html = client.get("/planner/scenario?year=2025").text
    assert "Ingevuld met de vastgestelde run van 2025" in html


def test_herbereken_stores_the_run_and_shows_it_beside_the_adopted_one(
    app: Litestar, world: World
) -> None:
    before_runs, before_events = _counts(world.engine)
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        fields = _form(client)
        fields["name"] = "jeugdzorg hoger"
        fields[YOUTH_CARE] = "9000,5"
        delft = int(fields["budget:GM0503:access"].replace(",", ""))
        # 1 % less: the change against 2025 stays within the damping bound of 5 %
        changed = delft - delft // 100 - 1
        fields["budget:GM0503:access"] = euro(changed).removeprefix("€\u00a0")  # "1.234,56"
        response = client.post("/planner/scenario", data=fields, follow_redirects=False)
        problems = re.findall(r'class="utrecht-form-field-error-message">([^<]*)', response.text)
        assert response.status_code == 303, problems
        location = response.headers["location"]
        query = parse_qs(urlsplit(location).query)
        new = query["new"][0]
        assert query["run"] == [world.adopted_2025, new], "from last year's adopted run"
        page = client.get(location)
    assert page.status_code == 200
    assert "De run is herberekend en opgeslagen als concept" in page.text
    assert _counts(world.engine) == (before_runs + 1, before_events + 1)
    with Session(world.engine) as session:
        run = session.get(AllocationRun, new)
        assert run is not None
        assert run.scenario == "jeugdzorg hoger"
        assert run.year == 2026
        assert run.budget_cents["GM0503"]["access"] == changed
        model = run.config_snapshot["models"]["gm0518"]["rates"]["specialist"]
        assert model["youth_care_users"] == 9000.5
        event = session.execute(
            select(AuditEvent).where(col(AuditEvent.target) == f"run:{new}")
        ).scalar_one()
    assert event.action == "run.create"
    assert event.role == "planner"
    assert event.detail["via"] == "planner page"
    assert event.detail["scenario"]["budgets_cents"]["GM0503"]["access"] == changed
    # The page shows the run's own amounts, per area.
    delft = [r.amount_cents for r in _rows(world.engine, new) if r.municipality_code == "GM0503"]
    assert euro(sum(delft)) in page.text


def test_the_budget_totals_a_planner_keeps_are_not_a_scenarios(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        new = _recalculate(client, _form(client))
    with Session(world.engine) as session:
        run = session.get(AllocationRun, new)
        draft = session.get(AllocationRun, world.draft_2026)
        assert run is not None
        assert draft is not None
        assert run.config_snapshot["scenario_budgets_euro"] == {}
        assert run.budget_cents == draft.budget_cents
        # The same inputs as the configuration: the same amounts as the draft of 2026.
        assert {(r.area_code, r.domain): r.amount_cents for r in _rows(world.engine, new)} == {
            (r.area_code, r.domain): r.amount_cents for r in _rows(world.engine, draft.id)
        }


def test_a_form_with_errors_names_every_field_and_stores_nothing(
    app: Litestar, world: World
) -> None:
    before = _counts(world.engine)
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        fields = _form(client)
        fields["name"] = ""
        fields[YOUTH_CARE] = "-3"
        fields["rate:default:prevention:inhabitants"] = "dertig"
        fields["budget:GM0503:access"] = "12.5"
        fields["base:access"] = ""
        fields["damping:max_change_pct"] = "5%"
        fields["damping:convergence_share"] = "150"
        response = client.post("/planner/scenario", data=fields)
    assert response.status_code == 422
    html = response.text
    assert "Er is niets opgeslagen" in html
    assert "Verbeter deze 7 velden" in html
    for field_id in (
        "f-name",
        "f-rate-gm0518-specialist-youth-care-users",
        "f-rate-default-prevention-inhabitants",
        "f-budget-gm0503-access",
        "f-base-access",
        "f-damping-max-change-pct",
        "f-damping-convergence-share",
    ):
        assert f'href="#{field_id}"' in html
        assert f'id="{field_id}-error"' in html
        assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', html)
    # What the planner typed comes back, to correct it.
    assert 'value="dertig"' in html
    assert "Een tarief ligt tussen 0 en 1.000.000.000 euro." in html
    assert "met een komma voor de centen" in html
    assert _counts(world.engine) == before


def test_a_scenario_the_allocation_refuses_stores_nothing_and_says_why(
    app: Litestar, world: World
) -> None:
    before = _counts(world.engine)
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        fields = _form(client)
        for domain in DOMAINS:  # every rate of the default model 0: no need to share by
            fields[f"rate:default:{domain}:inhabitants"] = "0"
        response = client.post("/planner/scenario", data=fields)
    assert response.status_code == 422
    assert "De herberekening is niet gelukt; er is niets opgeslagen." in response.text
    assert _counts(world.engine) == before


def test_a_form_without_its_csrf_token_is_refused(app: Litestar, world: World) -> None:
    before = _counts(world.engine)
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        fields = _form(client)
        del fields["_csrf_token"]
        assert client.post("/planner/scenario", data=fields).status_code == 403
    assert _counts(world.engine) == before


def test_runs_side_by_side_show_each_amount_and_distance_from_target(
    app: Litestar, world: World
) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        fields = _form(client)
        fields["name"] = "gedempt"
        fields[YOUTH_CARE] = "30000"  # far from the adopted split: damping holds areas back
        new = _recalculate(client, fields)
        runs = [world.adopted_2025, new, world.draft_2026]
        query = "&".join(f"run={r}" for r in runs)
        html = client.get(f"/planner/runs?{query}&municipality=GM0518").text
        assert client.get(f"/planner/runs?{query}&run=x&run=y").status_code == 422
        assert client.get("/planner/runs?run=no-such-run").status_code == 404
    table = html.split('side-by-side">')[1].split("</table>")[0]
    body = table.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>.*?</tr>", body, flags=re.S)
    assert len(rows) == 4, "the four areas of Den Haag"
    distances = 0
    for row in rows:
        code = re.search(r"(GM0518-L\d)", row)
        assert code is not None
        cells = re.findall(r'<td class="num">(.*?)</td>', row, flags=re.S)
        assert len(cells) == 2 * len(runs)
        for i, run_id in enumerate(runs):
            mine = [r for r in _rows(world.engine, run_id) if r.area_code == code[1]]
            amount = sum(r.amount_cents for r in mine)
            target = round(sum(r.target_cents for r in mine))
            assert cells[2 * i] == euro(amount)
            assert cells[2 * i + 1].startswith(euro(amount - target) + " ")
            distances += abs(amount - target) > 100
    assert distances, "damping kept at least one area away from its target"


def test_each_areas_change_is_a_waterfall_whose_parts_add_up(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        fields = _form(client)
        fields["name"] = "waterval"
        fields[YOUTH_CARE] = "12000"
        new = _recalculate(client, fields)
        html = client.get(f"/planner/runs?run={world.adopted_2025}&run={new}&explain={new}").text
    figures = re.findall(r'<figure class="waterfall-figure">(.*?)</figure>', html, flags=re.S)
    before = {r.area_code: 0 for r in _rows(world.engine, world.adopted_2025)}
    after = dict(before)
    for r in _rows(world.engine, world.adopted_2025):
        before[r.area_code] += r.amount_cents
    for r in _rows(world.engine, new):
        after[r.area_code] += r.amount_cents
    assert len(figures) == len(before) == 13
    for figure in figures:
        code = re.search(r"\((GM\d{4}-\w+)\): van", figure)
        assert code is not None
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart waterfall"' in figure
        for label in ("Budget", "Bevolking", "Behoeftemix", "Demping", "Verschil"):
            assert f">{label}</text>" in figure
        cells = dict(re.findall(r'<th scope="row">(\w+)</th><td class="num">(.*?)</td>', figure))
        parts = [_cents(cells[k]) for k in ("Budget", "Bevolking", "Behoeftemix", "Demping")]
        change = after[code[1]] - before[code[1]]
        assert _cents(cells["Verschil"]) == change
        assert sum(parts) == change, code[1]
    assert "De delen tellen niet op" not in html


def _cents(text: str) -> int:
    digits = text.replace("€\u00a0", "").replace(".", "").replace(",", "")
    return int(digits)


def test_estimation_and_its_ranges_are_drawn_on_the_page(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        html = client.get(
            f"/planner/estimate?year=2025&domain=specialist&municipality=GM0518"
            f"&run={world.draft_2026}&draws=50"
        ).text
        none = client.get("/planner/estimate?year=2019&domain=access&municipality=GM0503").text
    assert 'class="chart intervals"' in html
    assert 'class="chart ranges"' in html
    assert html.count("<circle") >= 3 + 4, "a dot per rate and per area"
    assert "Jongeren met jeugdzorg" in html
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td class="num">(€[^<]+)</td><td class="num">(€[^<]+)'
        r'</td><td class="num">(€[^<]+)</td><td class="num">(€[^<]+)</td>',
        html.split('id="ranges-caption"')[1].split("</tbody>")[0],
    )
    assert len(rows) == 4
    by_name = {}
    for r in _rows(world.engine, world.draft_2026):
        if r.municipality_code == "GM0518" and r.domain == "specialist":
            by_name[r.area_code] = r.amount_cents
    for _, run, estimate, low, high in rows:
        assert _cents(low) <= _cents(estimate) <= _cents(high)
        assert _cents(run) in by_name.values()
    effects = html.split('id="effects-caption"')[1].split("</tbody>")[0]
    rows_of_effects = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", effects)
    assert len(rows_of_effects) == 10, "every rate Den Haag's model sets"
    for label, cells in rows_of_effects:
        changes = [_cents(c) for c in re.findall(r'<td class="num">(.*?)</td>', cells)]
        assert len(changes) == 4
        assert sum(changes) == 0, f"{label}: a rate moves money between areas, adds none"
    assert "De schatting kan niet worden gemaakt" in none


@pytest.mark.parametrize(
    ("caller", "status"), [("kracht", 404), ("rondomjou", 404), ("auditor", 403)]
)
def test_only_planners_and_finance_reach_the_planner_pages(
    app: Litestar, world: World, caller: str, status: int
) -> None:
    before = _counts(world.engine)
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        fields = _form(client)
        client.cookies.clear()
        sign_in(client, world.tokens[caller])
        for path in ("/planner/scenario", "/planner/runs", "/planner/estimate"):
            assert client.get(path).status_code == status, path
        fields["_csrf_token"] = form_token(client, "/sign-in")
        assert client.post("/planner/scenario", data=fields).status_code == status
    assert _counts(world.engine) == before


def test_finance_may_recalculate_too(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["finance"])
        new = _recalculate(client, _form(client))
    with Session(world.engine) as session:
        run = session.get(AllocationRun, new)
        assert run is not None
        assert run.created_by.endswith("(finance)")


def test_the_progress_script_is_served_and_allowed(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        page = client.get("/planner/scenario")
        script = client.get("/static/planner.js")
    assert 'data-busy="Bezig met herberekenen…"' in page.text
    assert '<script src="/static/planner.js" defer></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "button.disabled = true" in script.text


def test_herbereken_works_on_each_database(engine: Engine, tmp_path: Path) -> None:
    world = build_web_world(engine, tmp_path)
    with TestClient(create_app(engine), base_url="http://populatie.test") as client:
        sign_in(client, world.tokens["planner"])
        fields = _form(client)
        fields[YOUTH_CARE] = "7500"
        new = _recalculate(client, fields)
        page = client.get(f"/planner/runs?run={world.adopted_2025}&run={new}")
    assert page.status_code == 200
    assert page.text.count('class="chart waterfall"') == 13
    with Session(engine) as session:
        run = session.get(AllocationRun, new)
        assert run is not None
        for municipality, per_domain in run.budget_cents.items():
            for domain, cents in per_domain.items():
                stored = session.execute(
                    select(func.sum(RunArea.amount_cents))
                    .where(col(RunArea.run_id) == new)
                    .where(col(RunArea.municipality_code) == municipality)
                    .where(col(RunArea.domain) == domain)
                ).scalar_one()
                assert stored == cents


def test_the_parts_a_run_stored_are_the_waterfall_of_its_explanation(world: World) -> None:
    """The runs page reads the parts a run stored against the run it follows; they must be
    what ``populatie explain`` computes from both runs, per area and per domain."""
    with Session(world.engine) as session:
        for domain in (None, *DOMAINS):
            stored = _stored_changes(session, world.adopted_2025, world.draft_2026, domain)
            computed, _ = _computed_changes(session, world.adopted_2025, world.draft_2026, domain)
            assert stored is not None
            assert sorted(stored, key=lambda c: c.code) == sorted(computed, key=lambda c: c.code)
        # The other way round the draft is no run's starting point: computed, not stored.
        assert _stored_changes(session, world.draft_2026, world.adopted_2025, None) is None


def test_run_labels_name_year_status_scenario_date_and_author(world: World) -> None:
    with Session(world.engine) as session:
        runs = list_runs(session)
        labels = run_labels(session, runs)
        for run in runs:
            status = RUN_STATUS_LABELS[run_standing(session, run).status]
            year, shown, scenario, _, author = labels[run.id].split(" · ")
            assert (year, shown, scenario, author) == (
                str(run.year),
                status,
                "standaardinstellingen" if run.scenario == "config" else f"scenario {run.scenario}",
                author_name(session, run.created_by),
            )
            assert run.id[:8] not in labels[run.id]
            assert "token:" not in labels[run.id]


def test_a_year_without_totals_takes_the_totals_typed_for_its_run(
    app: Litestar, world: World
) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["planner"])
        html = client.get("/planner/scenario?year=2027").text
        assert "zijn voor 2027 nog geen budgettotalen vastgelegd" in html
        fields = _form(client, 2027)
        assert fields["budget:GM0503:access"] == ""
        typed = {}
        for name in fields:
            if name.startswith("budget:"):
                _, municipality, domain = name.split(":")
                typed[(municipality, domain)] = 1_000_000_00 + 100 * len(typed)
                fields[name] = euro(typed[(municipality, domain)]).removeprefix("€\u00a0")
        new = _recalculate(client, fields)
    with Session(world.engine) as session:
        run = session.get(AllocationRun, new)
        assert run is not None
    assert run.year == 2027
    assert {(m, d): c for m, per in run.budget_cents.items() for d, c in per.items()} == typed
    for (municipality, domain), cents in typed.items():
        stored = [
            r.amount_cents
            for r in _rows(world.engine, new)
            if r.municipality_code == municipality and r.domain == domain
        ]
        assert sum(stored) == cents
