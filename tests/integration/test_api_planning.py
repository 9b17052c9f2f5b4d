"""Estimation and sensitivity over HTTP (``POST /api/estimates``, ``POST /api/sensitivity``).

The estimate is checked against a fit made here, apart from the service: the district counts
read from the figures of record, the spending summed from the stored months, and scipy's own
``nnls`` on them. Sensitivity is checked against the run's stored amounts and against what a
fixed budget total means: a rate moves money between areas, never adds any.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import pytest
from litestar.testing import TestClient
from scipy.optimize import nnls
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.allocations.models import RunArea
from populatie.app import create_app
from populatie.auth.models import AuditEvent
from populatie.districts.models import District, IndicatorFigure
from populatie.spending.models import SpendingMonth
from tests.integration.api_support import World, build_world

INDICATORS = ["low_income_households", "social_assistance", "youth_care_users"]


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, spending=True)


@pytest.fixture
def client(world: World) -> Iterator[TestClient[object]]:
    with TestClient(app=create_app(world.engine)) as c:
        yield c  # type: ignore[misc]


def _fit_apart(engine: Engine, year: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Districts of Den Haag with inhabitants, their counts and their specialist spend (euro)."""
    with Session(engine) as session:
        vintage = session.execute(select(func.max(District.vintage))).scalar_one()
        districts = sorted(
            str(c)
            for c in session.execute(
                select(col(District.code)).where(col(District.municipality_code) == "GM0518")
            ).scalars()
        )
        figures = {
            (str(d), str(k)): float(v)
            for d, k, v in session.execute(
                select(
                    col(IndicatorFigure.district_code),
                    col(IndicatorFigure.indicator),
                    col(IndicatorFigure.value),
                )
                .where(col(IndicatorFigure.vintage) == vintage)
                .where(col(IndicatorFigure.district_code).in_(districts))
            )
        }
        spend: dict[str, int] = defaultdict(int)
        for district, cents in session.execute(
            select(col(SpendingMonth.district_code), col(SpendingMonth.amount_cents))
            .where(col(SpendingMonth.year) == year)
            .where(col(SpendingMonth.domain) == "specialist")
            .where(col(SpendingMonth.municipality_code) == "GM0518")
        ):
            if district:
                spend[str(district)] += int(cents)
    inhabited = [d for d in districts if figures[(d, "inhabitants")] > 0]
    counts = np.array([[figures[(d, k)] for k in INDICATORS] for d in inhabited])
    return inhabited, counts, np.array([spend.get(d, 0) / 100 for d in inhabited])


def test_an_estimate_is_the_non_negative_least_squares_fit(
    world: World, client: TestClient[object]
) -> None:
    response = client.post(
        "/api/estimates",
        json={"domain": "specialist", "year": 2025, "municipality": "GM0518", "draws": 200},
        headers=world.headers("planner"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    districts, counts, spend = _fit_apart(world.engine, 2025)
    rates, _ = nnls(counts, spend)
    assert [i["indicator"] for i in body["indicators"]] == INDICATORS
    assert [d["code"] for d in body["districts"]] == districts
    got = np.array([i["rate"] for i in body["indicators"]])
    np.testing.assert_allclose(got, rates, rtol=1e-6, atol=1e-6)
    for row, c, s in zip(body["districts"], counts, spend, strict=True):
        assert row["spend_cents"] == round(s * 100)
        assert abs(row["fitted_cents"] - float(c @ got) * 100) <= 1
    for i in body["indicators"]:
        assert i["ci_low"] <= i["rate"] + 1e-9 or i["ci_low"] <= i["ci_high"]
        assert i["ci_low"] <= i["ci_high"]
    assert body["draws"] == 200
    assert sum(i["share"] for i in body["indicators"]) == pytest.approx(1.0)


def test_sensitivity_takes_an_estimate_as_it_comes(
    world: World, client: TestClient[object]
) -> None:
    headers = world.headers("planner")
    estimate = client.post(
        "/api/estimates",
        json={"domain": "specialist", "year": 2025, "municipality": "GM0518", "draws": 100},
        headers=headers,
    ).json()
    before = _events(world.engine)
    response = client.post(
        "/api/sensitivity",
        json={"run_id": world.draft_2026, "step": 0.1, "estimate": estimate},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["run_id"] == world.draft_2026
    assert _events(world.engine) == before, "nothing is written"
    stored = _amounts(world.engine, world.draft_2026)
    den_haag = next(m for m in body["municipalities"] if m["municipality"] == "GM0518")
    for domain, per_area in den_haag["amount_cents"].items():
        for area, cents in per_area.items():
            assert cents == stored[(area, domain)]
    for rate in den_haag["rates"]:  # the budget total is fixed: a rate only moves money
        assert sum(a["change_cents"] for a in rate["areas"].values()) == 0
    (ranges,) = den_haag["ranges"]
    assert ranges["domain"] == "specialist"
    for area, r in ranges["areas"].items():
        assert r["run_cents"] == stored[(area, "specialist")]
        assert r["min_cents"] <= r["estimate_cents"] <= r["max_cents"]
        assert r["min_cents"] <= r["min_reached_cents"] <= r["max_reached_cents"] <= r["max_cents"]


def _events(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def _amounts(engine: Engine, run_id: str) -> dict[tuple[str, str], int]:
    with Session(engine) as session:
        rows = session.execute(select(RunArea).where(col(RunArea.run_id) == run_id)).scalars()
        return {(r.area_code, r.domain): r.amount_cents for r in rows}


def test_bad_requests_are_problems_that_say_why(world: World, client: TestClient[object]) -> None:
    headers = world.headers("planner")
    no_spending = client.post(
        "/api/estimates", json={"domain": "access", "year": 2030}, headers=headers
    )
    assert no_spending.status_code == 422
    assert "import spending first" in no_spending.json()["detail"]
    unknown = client.post(
        "/api/estimates",
        json={"domain": "specialist", "year": 2025, "municipality": "GM0518", "indicators": ["x"]},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert "'x'" in unknown.json()["detail"]
    assert (
        client.post(
            "/api/estimates", json={"domain": "care", "year": 2025}, headers=headers
        ).status_code
        == 400
    )
    below = client.post(
        "/api/sensitivity",
        json={
            "run_id": world.draft_2026,
            "estimate": {
                "domain": "specialist",
                "indicators": [{"indicator": "youth_care_users", "rate": 10.0, "ci_low": -1.0}],
            },
        },
        headers=headers,
    )
    assert below.status_code == 422
    assert "estimate.indicators[0].ci_low" in below.json()["detail"]
    missing = client.post("/api/sensitivity", json={"run_id": "no-such-run"}, headers=headers)
    assert missing.status_code == 404
    assert (
        client.post(
            "/api/sensitivity", json={"run_id": world.draft_2026, "step": 0}, headers=headers
        ).status_code
        == 400
    )


def test_only_planners_and_finance_may_estimate(world: World, client: TestClient[object]) -> None:
    for caller, status in [("kracht", 404), ("auditor", 403), (None, 401), ("finance", 200)]:
        headers = world.headers(caller)
        estimate = client.post(
            "/api/estimates",
            json={"domain": "specialist", "year": 2025, "municipality": "GM0518", "draws": 0},
            headers=headers,
        )
        sensitivity = client.post(
            "/api/sensitivity", json={"run_id": world.adopted_2025}, headers=headers
        )
        assert (estimate.status_code, sensitivity.status_code) == (status, status), caller
