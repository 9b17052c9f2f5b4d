"""The budget totals over HTTP: finance sets them (audited, kept in the history), planners and
auditors read them, a consortium learns nothing, bad input is a problem naming the field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.app import create_app
from populatie.auth.models import AuditEvent
from populatie.auth.tokens import issue_token
from populatie.budget_totals.models import BudgetTotalVersion
from populatie.db import session_scope

CALLERS = {
    "finance": ("finance", None),
    "planner": ("planner", None),
    "auditor": ("auditor", None),
    "kracht": ("consortium", "Kracht voor Jeugd en Gezin"),
}
BODY = {
    "prevention_cents": 300_000_000,
    "access_cents": 900_000_000,
    "specialist_cents": 2_100_000_000,
    "reason": "council amendment",
    "basis": "raadsbesluit 2025-14",
}


@pytest.fixture
def client(loaded: Engine) -> Iterator[TestClient[object]]:
    with TestClient(app=create_app(loaded)) as test_client:
        yield test_client


@pytest.fixture
def headers(loaded: Engine) -> dict[str, dict[str, str]]:
    with session_scope(loaded) as session:
        tokens = {
            name: issue_token(session, role, partnership, name, "test").token
            for name, (role, partnership) in CALLERS.items()
        }
    return {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}


def _versions(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.execute(select(func.count()).select_from(BudgetTotalVersion)).scalar_one(),
            session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(col(AuditEvent.action).startswith("budget_totals"))
            ).scalar_one(),
        )


def test_finance_sets_totals_and_the_history_keeps_every_version(
    loaded: Engine, client: TestClient[object], headers: dict[str, dict[str, str]]
) -> None:
    listed = client.get("/api/budgets/2025", headers=headers["planner"])
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 10
    delft = next(i for i in listed.json()["items"] if i["municipality"] == "GM0503")
    assert (delft["version"], delft["source"]) == (1, "seed")
    assert delft["total_cents"] == sum(
        delft[f"{d}_cents"] for d in ("prevention", "access", "specialist")
    )

    put = client.put("/api/budgets/2025/GM0503", json=BODY, headers=headers["finance"])
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 2
    assert put.json()["total_cents"] == 3_300_000_000
    history = client.get("/api/budgets/2025/GM0503/history", headers=headers["auditor"]).json()
    assert [(v["version"], v["source"]) for v in history["items"]] == [(1, "seed"), (2, "set")]
    assert history["items"][1]["changed_by"] == "token:1 (finance)"
    assert history["items"][1]["basis"] == "raadsbesluit 2025-14"
    with Session(loaded) as session:
        event = session.execute(
            select(AuditEvent).where(col(AuditEvent.action) == "budget_totals.set")
        ).scalar_one()
    assert (event.actor, event.role, event.target) == (
        "token:1 (finance)",
        "finance",
        "budget_totals/2025/GM0503",
    )

    again = client.put("/api/budgets/2025/GM0503", json=BODY, headers=headers["finance"])
    assert again.status_code == 409


def test_only_finance_writes_and_a_consortium_learns_nothing(
    loaded: Engine, client: TestClient[object], headers: dict[str, dict[str, str]]
) -> None:
    before = _versions(loaded)
    for caller, status in [("planner", 403), ("auditor", 403), ("kracht", 404)]:
        put = client.put("/api/budgets/2025/GM0503", json=BODY, headers=headers[caller])
        assert put.status_code == status, (caller, put.text)
    for path in ("/api/budgets/2025", "/api/budgets/2025/GM0503/history"):
        assert client.get(path, headers=headers["kracht"]).status_code == 404
        assert client.get(path).status_code == 401
    assert _versions(loaded) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prevention_cents": -1}, "prevention_cents"),
        ({"access_cents": "12.50"}, "access_cents"),
        ({"specialist_cents": 1.5}, "specialist_cents"),
        ({"reason": ""}, "reason"),
        ({"youth_cents": 5}, "youth_cents"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    loaded: Engine,
    client: TestClient[object],
    headers: dict[str, dict[str, str]],
    change: dict[str, object],
    field: str,
) -> None:
    before = _versions(loaded)
    put = client.put(
        "/api/budgets/2025/GM0503", json={**BODY, **change}, headers=headers["finance"]
    )
    assert put.status_code == 400, put.text
    assert put.headers["content-type"].startswith("application/problem+json")
    assert field in put.json()["detail"]
    missing = {k: v for k, v in BODY.items() if k != "access_cents"}
    put = client.put("/api/budgets/2025/GM0503", json=missing, headers=headers["finance"])
    assert put.status_code == 400
    assert "access_cents" in put.json()["detail"]
    assert _versions(loaded) == before


def test_unknown_municipality_or_year_without_totals_is_404_naming_what_to_do(
    client: TestClient[object], headers: dict[str, dict[str, str]]
) -> None:
    finance = headers["finance"]
    unknown = client.put("/api/budgets/2025/GM9999", json=BODY, headers=finance)
    assert unknown.status_code == 404
    assert "GM9999" in unknown.json()["detail"]
    assert client.put("/api/budgets/2025/Delft", json=BODY, headers=finance).status_code == 400
    assert client.put("/api/budgets/1999/GM0503", json=BODY, headers=finance).status_code == 400
    empty = client.get("/api/budgets/2027", headers=finance)
    assert empty.status_code == 404
    assert "populatie budgets index --from 2026 --to 2027" in empty.json()["detail"]
    none = client.get("/api/budgets/2027/GM0503/history", headers=finance)
    assert none.status_code == 404
    assert "budgets set 2027 GM0503" in none.json()["detail"]
    assert client.get("/api/budgets/2025/GM9999/history", headers=finance).status_code == 404
