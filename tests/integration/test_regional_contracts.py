"""Regional contracts on both databases: segment, products, municipalities, the terms of each
funding form (instalments, start share), and tariffs with their history and indexation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from populatie.auth.models import AuditEvent
from populatie.contracts.models import ContractInstalment
from populatie.contracts.service import (
    ContractChange,
    change_contract,
    contract_history,
    get_contract,
)
from populatie.contracts.tariffs import TariffInput, contract_tariffs, list_tariffs, set_tariff
from populatie.db import session_scope
from populatie.errors import DataError
from populatie.segments.models import Segment
from tests.integration.spending_support import add_contract, seed_registry


@pytest.fixture
def db(engine: Engine) -> Engine:
    seed_registry(engine)
    with session_scope(engine) as s:
        s.add(Segment(code="B", name_nl="B", name_en="B", from_year=2020, to_year=2026, source="t"))
        s.add(Segment(code="NEW", name_nl="N", name_en="N", from_year=2027, source="t"))
    return engine


def _instalments(engine: Engine, reference: str) -> dict[tuple[int, int], int]:
    with session_scope(engine) as s:
        contract = get_contract(s, reference)
        return {
            (r.year, r.month): r.amount_cents
            for r in s.execute(
                select(ContractInstalment).where(col(ContractInstalment.contract_id) == contract.id)
            ).scalars()
        }


def test_a_task_based_contract_stores_its_schedule_summing_to_the_yearly_sum(
    db: Engine,
) -> None:
    add_contract(
        db,
        "TASK-1",
        funding_form="task-based",
        starts_on=date(2025, 2, 15),
        ends_on=date(2026, 12, 31),
        ceilings_cents={2025: 1_000_001, 2026: 1_200_000},
        instalments="quarterly",
        segment="B",
        municipalities=("GM0518", "GM0503"),
    )
    schedule = _instalments(db, "TASK-1")
    # 2025: in force from February, so the first quarter pays in February
    assert sorted(m for y, m in schedule if y == 2025) == [2, 4, 7, 10]
    assert sorted(m for y, m in schedule if y == 2026) == [1, 4, 7, 10]
    assert sum(c for (y, _), c in schedule.items() if y == 2025) == 1_000_001
    assert sum(c for (y, _), c in schedule.items() if y == 2026) == 1_200_000
    assert schedule[(2025, 2)] == 250_001  # the odd cent to the earliest instalment

    with session_scope(db) as s:
        view = change_contract(
            s, "TASK-1", ContractChange(instalments="monthly"), "finance", "paid monthly now"
        )
        assert view.as_json()["instalments"] == "monthly"
        assert view.as_json()["municipalities"] == ["GM0503", "GM0518"]
        history = contract_history(s, "TASK-1")
    assert history[-1].changes == {"instalments": ["quarterly", "monthly"]}
    schedule = _instalments(db, "TASK-1")
    assert len([1 for y, _ in schedule if y == 2025]) == 11  # February to December
    assert sum(c for (y, _), c in schedule.items() if y == 2025) == 1_000_001


def test_a_trajectory_contract_keeps_its_start_and_completion_shares(db: Engine) -> None:
    add_contract(
        db,
        "TRAJ-1",
        funding_form="output-based-trajectory",
        start_percent=60,
        product_codes=("45A12", "45A13"),
        segment="B",
        ends_on=date(2025, 12, 31),
    )
    with session_scope(db) as s:
        contract = get_contract(s, "TRAJ-1")
        assert (contract.start_percent, contract.product_codes) == (60, ["45A12", "45A13"])


@pytest.mark.parametrize(
    ("terms", "problem"),
    [
        ({"funding_form": "output-based-trajectory"}, "needs its start share"),
        ({"funding_form": "output-based-trajectory", "start_percent": 101}, "must lie in 0–100"),
        ({"start_percent": 40}, "only a trajectory contract has a start share"),
        ({"instalments": "monthly"}, "only a task-based contract is paid in instalments"),
        ({"segment": "Z"}, "segment 'Z' is not of record"),
        ({"segment": "NEW"}, "segment NEW does not apply in 2024, 2025, 2026"),
        ({"product_codes": ("45a12",)}, "product codes 45a12"),
        ({"municipalities": ("GM9999",)}, "municipalities GM9999 are not of record"),
    ],
)
def test_terms_that_do_not_fit_the_form_are_refused(
    db: Engine, terms: dict[str, object], problem: str
) -> None:
    with pytest.raises(DataError, match=problem):
        add_contract(db, "BAD-1", **terms)
    with session_scope(db) as s, pytest.raises(Exception, match="does not exist"):
        get_contract(s, "BAD-1")


def test_tariffs_are_versioned_audited_and_indexed(db: Engine) -> None:
    add_contract(
        db,
        "EFF-1",
        funding_form="effort-based",
        indexation_basis_points=250,
        product_codes=("45A12",),
    )
    with session_scope(db) as s:
        contract = get_contract(s, "EFF-1")
        first = set_tariff(s, contract, TariffInput("45A12", 2024, "hour", 8_000), "f", "award")
        second = set_tariff(s, contract, TariffInput("45A12", 2024, "hour", 8_200), "f", "fix")
        assert (first.version, second.version) == (1, 2)
        with pytest.raises(DataError, match="already that"):
            set_tariff(s, contract, TariffInput("45A12", 2024, "hour", 8_200), "f", "again")
        with pytest.raises(DataError, match="not one of the contract's products"):
            set_tariff(s, contract, TariffInput("45B01", 2024, "hour", 1), "f", "x")
        with pytest.raises(DataError, match="outside the contract"):
            set_tariff(s, contract, TariffInput("45A12", 2030, "hour", 1), "f", "x")
        current = list_tariffs(s, contract)
        every = list_tariffs(s, contract, history=True)
    assert [(t.year, t.tariff_cents, t.version) for t in current] == [(2024, 8_200, 2)]
    assert [(t.tariff_cents, t.reason) for t in every] == [(8_000, "award"), (8_200, "fix")]
    with session_scope(db) as s:
        by_year = {y: contract_tariffs(s, y).get("EFF-1", {}) for y in (2023, 2024, 2026)}
        audits = s.execute(
            select(AuditEvent).where(col(AuditEvent.action) == "contract.tariff")
        ).scalars()
        assert [a.detail["tariff_cents"] for a in audits] == [8_000, 8_200]
    assert by_year[2023] == {}
    assert by_year[2024] == {"45A12": ("hour", 8_200)}
    # two years at 2.5 %: 8200 → 8405 → 8615.125, rounded half to even to 8615
    assert by_year[2026] == {"45A12": ("hour", 8_615)}
