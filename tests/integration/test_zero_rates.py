"""A domain whose rates are all 0 has no formula to share its budget: refused, never split
equally (on SQLite and PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from populatie.allocations import service
from populatie.allocations.models import AllocationRun
from populatie.configuration import RegionConfig
from populatie.core import AllocationInputs
from populatie.db import session_scope
from populatie.errors import AllocationError


def _without_specialist_rates(config: RegionConfig) -> RegionConfig:
    model = config.models["gm0518"]
    rates = {**model.rates, "specialist": dict.fromkeys(model.rates["specialist"], 0.0)}
    models = {**config.models, "gm0518": model.model_copy(update={"rates": rates})}
    return config.model_copy(update={"models": models})


def test_a_run_with_a_domain_without_rates_is_refused_naming_the_domain(
    loaded: Engine, config: RegionConfig
) -> None:
    zero = _without_specialist_rates(config)
    refused = pytest.raises(AllocationError, match="GM0518 2025 specialist: every rate of domain ")
    with refused, session_scope(loaded) as session:
        service.create_run(session, zero, 2025, ["GM0518"], "test")
    with Session(loaded) as session:
        assert session.execute(select(func.count()).select_from(AllocationRun)).scalar_one() == 0


def test_recomputing_with_all_rates_of_a_domain_zero_is_refused() -> None:
    inputs = AllocationInputs.build(
        area_keys=["A", "B"],
        indicator_keys=["young"],
        domains=["prevention", "specialist"],
        counts=[[10.0], [30.0]],
        unit_area=[0, 1],
        rates=[[5.0, 0.0]],
        base_cents=np.zeros((2, 2), dtype=np.int64),
        budget_cents=[1000, 1000],
    )
    assert inputs.allocate(domains=["prevention"])["prevention"].amount_cents.tolist() == [250, 750]
    with pytest.raises(AllocationError, match="every rate of domain 'specialist' is 0"):
        inputs.allocate()
