"""The consortium page's year against year, its spending per provider and its budget download,
through the real app: the figures come from the JSON API and the stored runs, and no answer a
consortium can get holds the other partnership's areas, providers or budgets."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations import service as runs
from populatie.allocations.models import RunArea
from populatie.app import create_app
from populatie.auth.access import policy_of
from populatie.auth.tokens import Role
from populatie.configuration import DOMAINS
from populatie.db import make_engine, migrate, session_scope
from populatie.web import year_on_year
from populatie.web.formatting import euro
from tests.e2e.world import AREAS_OF, KRACHT, RONDOMJOU, build_web_world, foreign_markers
from tests.integration.api_support import CONTRACT_OF, World, build_world
from tests.integration.web_support import page_client, sign_in

CALLERS = {"kracht": KRACHT, "rondomjou": RONDOMJOU}
OTHER = {KRACHT: RONDOMJOU, RONDOMJOU: KRACHT}
# The consortium's pages about its areas, and those about one contract of its own.
AREA_PAGES = ["/consortium", "/consortium/budgets.xlsx"]
CONTRACT_PAGES = ["/dossier", "/dossier.html", "/dossier.xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("year-on-year")
    engine = make_engine(f"sqlite:///{(folder / 'web.db').as_posix()}")
    migrate(engine)
    world = build_web_world(engine, folder)
    with session_scope(engine) as session:
        runs.adopt(session, world.draft_2026, "test")
    yield world
    engine.dispose()


@pytest.fixture(scope="module")
def app(world: World) -> Litestar:
    return create_app(world.engine)


def _budgets(client: TestClient[Litestar], world: World, caller: str, year: int) -> dict:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {world.tokens[caller]}"}
    items = client.get("/api/budgets", params={"year": year}, headers=headers).json()["items"]
    return {b["area"]: b for b in items}


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize("caller", ["kracht", "rondomjou"])
def test_this_year_against_last_year_per_area_and_domain(
    app: Litestar, world: World, caller: str
) -> None:
    partnership = CALLERS[caller]
    with page_client(app) as client:
        last = _budgets(client, world, caller, 2025)
        this = _budgets(client, world, caller, 2026)
        sign_in(client, world.tokens[caller])
        html = client.get("/consortium", params={"year": 2026}).text
    assert sorted(last) == sorted(this) == AREAS_OF[partnership]
    part = _section(html, "jaar-op-jaar")
    assert "2026 tegen 2025" in part
    assert part.count('class="chart waterfall"') == len(AREAS_OF[partnership])
    for label in ("Budget", "Bevolking", "Behoeftemix", "Demping"):
        assert f'<th scope="col" class="num">{label}</th>' in part
    with Session(world.engine) as session:
        stored = {
            (r.area_code, r.domain): r
            for r in session.execute(
                select(RunArea).where(col(RunArea.run_id) == world.draft_2026)
            ).scalars()
        }
    for code in AREAS_OF[partnership]:
        article = part[part.index(f'id="jaar-{code}"') :]
        article = article[: article.index("</article>")]
        for d in DOMAINS:
            before, after = last[code]["domains"][d], this[code]["domains"][d]
            row = stored[(code, d)]
            effects = [
                row.budget_effect_cents,
                row.population_effect_cents,
                row.need_mix_effect_cents,
                row.damping_effect_cents,
            ]
            assert None not in effects
            assert sum(e or 0 for e in effects) == after - before  # the parts add up exactly
            cells = [euro(before), euro(after), euro(after - before), *map(euro, effects)]
            assert all(f'<td class="num">{c}</td>' in article for c in cells), (code, d)
        total = this[code]["total_cents"] - last[code]["total_cents"]
        assert f'<td class="num">{euro(total)}</td>' in article
    for marker in [*foreign_markers(partnership, world.engine), OTHER[partnership]]:
        assert marker not in html, marker


def test_the_parts_walked_again_are_the_parts_stored(world: World) -> None:
    """Where this year's run started from another run than last year's adopted one, the page
    walks the waterfall again: the same computation as the stored parts, to the cent."""
    codes = set(AREAS_OF[KRACHT])
    with Session(world.engine) as session:
        walked = year_on_year._walked_parts(
            session, world.adopted_2025, world.draft_2026, "GM0518", codes
        )
        rows = session.execute(
            select(RunArea).where(
                col(RunArea.run_id) == world.draft_2026, col(RunArea.area_code).in_(codes)
            )
        ).scalars()
        stored = {
            (r.area_code, r.domain): {
                "budget": r.budget_effect_cents,
                "population": r.population_effect_cents,
                "need_mix": r.need_mix_effect_cents,
                "damping": r.damping_effect_cents,
            }
            for r in rows
        }
    assert walked == stored
    assert {code for code, _ in walked} == codes


def test_without_last_year_the_page_says_so(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        sign_in(client, world.tokens["kracht"])
        html = client.get("/consortium", params={"year": 2025}).text
    part = _section(html, "jaar-op-jaar")
    assert "Voor 2024 is geen verdeling vastgesteld voor uw gebieden." in part
    assert "waterfall" not in part


@pytest.mark.parametrize("caller", ["kracht", "rondomjou"])
def test_spending_per_provider_is_its_own(app: Litestar, world: World, caller: str) -> None:
    partnership = CALLERS[caller]
    headers = {"Authorization": f"Bearer {world.tokens[caller]}"}
    per_provider: dict[str, int] = defaultdict(int)
    with page_client(app) as client:
        offset = 0
        while True:
            page = client.get(
                "/api/spending", params={"limit": 1000, "offset": offset}, headers=headers
            ).json()
            for item in page["items"]:
                if item["booked_on"].startswith("2025-"):
                    per_provider[item["provider"]] += item["amount_cents"]
            offset += 1000
            if offset >= page["total"]:
                break
        sign_in(client, world.tokens[caller])
        html = client.get("/consortium", params={"year": 2025}).text
    part = _section(html, "per-aanbieder")
    assert per_provider
    for provider, cents in per_provider.items():
        row = re.search(rf'<th scope="row">{re.escape(provider)}</th>(.*?)</tr>', part)
        assert row is not None, provider
        assert f'<td class="num">{euro(cents)}</td>' in row[1], provider
    assert f'<td class="num">{euro(sum(per_provider.values()))}</td>' in part
    for marker in [*foreign_markers(partnership, world.engine), OTHER[partnership]]:
        assert marker not in part, marker


@pytest.mark.parametrize("caller", ["kracht", "rondomjou"])
def test_a_consortium_downloads_only_its_own_budgets(
    app: Litestar, world: World, caller: str
) -> None:
    partnership = CALLERS[caller]
    with page_client(app) as client:
        this = _budgets(client, world, caller, 2026)
        sign_in(client, world.tokens[caller])
        assert (
            'href="/consortium/budgets.xlsx?year=2026"'
            in client.get("/consortium", params={"year": 2026}).text
        )
        one = client.get("/consortium/budgets.xlsx", params={"year": 2026})
        every = client.get("/consortium/budgets.xlsx")
    assert one.status_code == 200
    assert one.headers["content-type"].startswith(XLSX)
    assert 'filename="budgetten-2026.xlsx"' in one.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(one.content))["Budgetten"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)]
    assert sorted(r["Gebiedscode"] for r in rows) == AREAS_OF[partnership]
    for r in rows:
        assert r["Samenwerkingsverband"] == partnership
        assert round(r["Totaal"] * 100) == this[r["Gebiedscode"]]["total_cents"]
    years = [
        r[0] for r in load_workbook(io.BytesIO(every.content)).active.iter_rows(2, values_only=True)
    ]  # type: ignore[union-attr]
    assert sorted(set(years)) == [2025, 2026]
    text = "\n".join(
        str(v)
        for sheet in load_workbook(io.BytesIO(every.content)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    assert OTHER[partnership] not in text
    for code in AREAS_OF[OTHER[partnership]]:
        assert code not in text


def test_the_download_is_for_a_signed_in_consortium_only(app: Litestar, world: World) -> None:
    with page_client(app) as client:
        anonymous = client.get("/consortium/budgets.xlsx", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/sign-in?next=")
        for caller, status in (("finance", 403), ("planner", 403), ("auditor", 403)):
            sign_in(client, world.tokens[caller])
            assert client.get("/consortium/budgets.xlsx").status_code == status, caller
        # a bearer token does not open a page either: pages take a signed-in session
        client.cookies.clear()
        bearer = {"Authorization": f"Bearer {world.tokens['kracht']}"}
        page = client.get("/consortium/budgets.xlsx", headers=bearer, follow_redirects=False)
        assert page.status_code == 303


def test_the_page_works_on_each_database(engine: Engine) -> None:
    world = build_world(engine, spending=True)
    with session_scope(engine) as session:
        runs.adopt(session, world.draft_2026, "test")
    with TestClient(create_app(engine), base_url="http://populatie.test") as client:
        sign_in(client, world.tokens["kracht"])
        html = client.get("/consortium", params={"year": 2026}).text
        download = client.get("/consortium/budgets.xlsx", params={"year": 2026})
    part = _section(html, "jaar-op-jaar")
    assert part.count('class="chart waterfall"') == 2
    assert RONDOMJOU not in html
    sheet = load_workbook(io.BytesIO(download.content))["Budgetten"]
    assert sorted(r[1] for r in sheet.iter_rows(2, values_only=True)) == AREAS_OF[KRACHT]


def _consortium_pages(app: Litestar) -> list[str]:
    """Every page path a signed-in consortium may GET (not the API, not the public ones)."""
    paths = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/api", "/schema")):
            continue
        handler = route.route_handler_map.get("GET", (None, None))[0]
        policy = policy_of(handler) if handler is not None else None
        if policy is not None and not policy.public and Role.CONSORTIUM in policy.roles:
            paths.append(route.path)
    return sorted(paths)


@pytest.mark.parametrize("caller", ["kracht", "rondomjou"])
def test_no_page_a_consortium_can_open_shows_the_other(
    app: Litestar, world: World, caller: str
) -> None:
    """Over the route table: each page open to a consortium, for each year, read as each; a
    query naming the other partnership changes nothing (the session decides whose it is)."""
    partnership = CALLERS[caller]
    paths = _consortium_pages(app)
    assert paths == sorted([*AREA_PAGES, *CONTRACT_PAGES, "/kpis"])
    foreign = [*foreign_markers(partnership, world.engine), OTHER[partnership]]
    foreign += AREAS_OF[OTHER[partnership]]
    own_contract = {"contract": CONTRACT_OF[partnership]}
    with page_client(app) as client:
        sign_in(client, world.tokens[caller])
        for path in paths:
            other: dict[str, Any] = {"partnership": OTHER[partnership], "scope": "all"}
            base = own_contract if path in CONTRACT_PAGES else {}
            for params in ({}, {"year": 2025}, {"year": 2026}, {"year": 2026, **other}):
                response = client.get(path, params={**base, **params})
                assert response.status_code == 200, (path, params)
                text = _readable(response)
                if path in AREA_PAGES:  # the pages about its areas name them
                    assert any(code in text for code in AREAS_OF[partnership]), (path, params)
                for marker in foreign:
                    assert marker not in text, (path, params, marker)
        for path in CONTRACT_PAGES:  # the other's contract is not found, as if it did not exist
            theirs = {"contract": CONTRACT_OF[OTHER[partnership]]}
            assert client.get(path, params=theirs).status_code == 404, path
        # a year without an adopted allocation: no page (404, as for another's data), and a
        # workbook with its header only
        assert client.get("/consortium", params={"year": 2030}).status_code == 404
        empty = client.get("/consortium/budgets.xlsx", params={"year": 2030})
        assert load_workbook(io.BytesIO(empty.content))["Budgetten"].max_row == 1


def _readable(response: Any) -> str:
    if not response.headers["content-type"].startswith(XLSX):
        return str(response.text)
    return "\n".join(
        str(v)
        for sheet in load_workbook(io.BytesIO(response.content)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
