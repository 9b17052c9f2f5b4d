"""Consortium isolation on the data of the two Den Haag partnerships.

Kracht voor Jeugd en Gezin holds GM0518-L1 and L3, RondomJou L2 and L4. Each consortium token
sees its own and nothing else: another partnership's area is 404 exactly like a code that does
not exist, and no answer it can get mentions the other partnership at all.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from populatie.app import create_app
from populatie.auth.access import policy_of
from populatie.auth.tokens import Role
from tests.integration.api_support import (
    AREAS_OF,
    CONTRACT_OF,
    KRACHT,
    RONDOMJOU,
    World,
    build_world,
    concrete,
    endpoints,
    examples,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAIRS = [("kracht", KRACHT, RONDOMJOU), ("rondomjou", RONDOMJOU, KRACHT)]


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, spending=True)


def _codes(items: list[dict[str, object]], key: str = "code") -> list[object]:
    return [item[key] for item in items]


def test_each_consortium_lists_only_its_own(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        for caller, own, other in PAIRS:
            h = world.headers(caller)
            areas = client.get("/api/areas", headers=h).json()
            assert _codes(areas["items"]) == AREAS_OF[own]
            assert areas["total"] == 2
            assert {a["partnership"] for a in areas["items"]} == {own}
            # a filter on the other partnership does not widen the scope
            filtered = client.get("/api/areas", params={"partnership": other}, headers=h).json()
            assert filtered == {"items": [], "total": 0}

            lots = client.get("/api/lots", headers=h).json()
            assert lots["total"] == 2
            assert {lot["partnership"] for lot in lots["items"]} == {own}
            assert sorted(lot["area"] for lot in lots["items"]) == AREAS_OF[own]

            budgets = client.get("/api/budgets", headers=h).json()
            assert sorted(_codes(budgets["items"], "area")) == AREAS_OF[own]
            assert budgets["total"] == 2
            assert {b["partnership"] for b in budgets["items"]} == {own}

            for code in AREAS_OF[own]:
                budget = client.get(f"/api/areas/{code}/budget", headers=h)
                assert budget.status_code == 200, budget.text
                assert budget.json()["year"] == 2025
                assert budget.json()["run_id"] == world.adopted_2025


def test_another_partnerships_records_are_404_like_nothing_at_all(world: World) -> None:
    finance = world.headers("finance")
    with TestClient(app=create_app(world.engine)) as client:
        all_lots = client.get("/api/lots", headers=finance).json()["items"]
        for caller, own, other in PAIRS:
            h = world.headers(caller)
            for code in [*AREAS_OF[other], "GM0503-A"]:
                for suffix in ["", "/budget", "/budget?year=2025"]:
                    theirs = client.get(f"/api/areas/{code}{suffix}", headers=h)
                    nothing = client.get(f"/api/areas/GM0000-X{suffix}", headers=h)
                    assert theirs.status_code == nothing.status_code == 404, theirs.text
                    a, b = theirs.json(), nothing.json()
                    assert a["detail"].replace(code, "GM0000-X") == b["detail"]
                    assert {k: v for k, v in a.items() if k != "detail"} == {
                        k: v for k, v in b.items() if k != "detail"
                    }
                    # finance does see it (the 404 is the scope, not missing data)
                    if code != "GM0503-A" or suffix == "":
                        seen = client.get(f"/api/areas/{code}{suffix}", headers=finance)
                        assert seen.status_code == 200, seen.text
            for lot in all_lots:
                response = client.get(f"/api/lots/{lot['id']}", headers=h)
                # any other partnership's lot (Den Haag's other, the regional lots) is hidden
                expected = 200 if lot["partnership"] == own else 404
                assert response.status_code == expected, (caller, lot)
            for path in ["/api/runs", "/api/partnerships", "/api/districts", "/api/audit"]:
                assert client.get(path, headers=h).status_code == 404, path
            theirs = client.get(f"/api/contracts/{CONTRACT_OF[other]}", headers=h)
            nothing = client.get("/api/contracts/NO-SUCH-CONTRACT", headers=h)
            assert theirs.status_code == nothing.status_code == 404
            assert theirs.json()["title"] == nothing.json()["title"]
            assert client.post("/api/spending", headers=h).status_code == 404


def test_spending_contracts_and_reconciliation_are_scoped(world: World) -> None:
    finance = world.headers("finance")
    with TestClient(app=create_app(world.engine)) as client:
        every = client.get("/api/spending", params={"limit": 1}, headers=finance).json()
        seen = 0
        for caller, own, _other in PAIRS:
            h = world.headers(caller)
            contracts = client.get("/api/contracts", headers=h).json()["items"]
            assert contracts
            assert {c["partnership"] for c in contracts} == {own}
            own_refs = {c["reference"] for c in contracts} | {
                f"{lot['municipality']}/{lot['number']}"
                for lot in client.get("/api/lots", headers=h).json()["items"]
            }
            rows = client.get("/api/spending", params={"limit": 1000}, headers=h).json()
            assert rows["total"] > 0
            assert {r["reference"] for r in rows["items"]} <= own_refs
            seen += rows["total"]
            # the same filter through finance gives the same rows
            for ref in sorted(own_refs):
                mine = client.get("/api/spending", params={"reference": ref}, headers=h).json()
                all_ = client.get("/api/spending", params={"reference": ref}, headers=finance)
                assert mine["total"] == all_.json()["total"]
            report = client.get("/api/reconciliation", params={"year": 2025}, headers=h).json()
            assert report["lines"]
            assert {line["partnership"] for line in report["lines"]} == {own}
            for exc in report["exceptions"]:
                # about the caller's own rows: a duplicate invoice names its reference in the
                # detail, a district in no area the references of its rows in the evidence
                if exc["kind"] == "district-not-in-one-area":
                    assert {e["reference"] for e in exc["evidence"]} <= own_refs, exc
                    continue
                named = exc["detail"] if exc["kind"] == "duplicate-invoice" else exc["subject"]
                assert any(ref in named for ref in own_refs), exc["subject"]
            assert report["notes"] == []
        assert seen < every["total"]  # rows on no lot, or on no contract, are finance's only


def test_nothing_a_consortium_can_read_mentions_the_other(world: World) -> None:
    """Every route open to a consortium, read as each of the two: no trace of the other."""
    app = create_app(world.engine)
    readable = [
        e
        for e in endpoints(app)
        if e.method == "GET"
        and (policy := policy_of(e.handler)) is not None
        and Role.CONSORTIUM in policy.roles
    ]
    assert len(readable) >= 5
    with TestClient(app=app) as client:
        for caller, own, other in PAIRS:
            values = examples(world, caller)
            for endpoint in readable:
                path, _ = concrete(endpoint, values)
                response = client.get(path, headers=world.headers(caller))
                assert response.status_code == 200, (caller, path, response.text[:200])
                text = _text(response)
                ours = [own, *AREAS_OF[own], CONTRACT_OF[own]]
                assert any(mark in text for mark in ours), (caller, path)  # not just empty
                assert other not in text, (caller, path)
                assert CONTRACT_OF[other] not in text, (caller, path)
                if "reconciliation" not in path:
                    # (a row booked on the caller's own lot for a district of another area is
                    # the caller's own spending; its exception names that district's area)
                    for code in AREAS_OF[other]:
                        assert code not in text, (caller, path, code)


def _text(response: Any) -> str:
    """The readable text of a response, also of a spreadsheet."""
    if not response.headers["content-type"].startswith(XLSX):
        return str(response.text)
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
