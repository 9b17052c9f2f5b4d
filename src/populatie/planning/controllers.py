"""Estimation and sensitivity over HTTP, for planners: thin over :mod:`populatie.planning.service`.

Both compute and store nothing, so they are POSTs that write no audit event; both run in a
worker thread (``sync_to_thread``), as fitting a bootstrap or recomputing a run for every
rate is CPU work.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.params import RequestBody

from populatie.api.deps import DbSession
from populatie.auth.access import PLAN, access
from populatie.configuration import load_config
from populatie.errors import DataError
from populatie.planning import service
from populatie.planning.schemas import (
    Estimate,
    EstimateCreate,
    EstimateIntervals,
    Sensitivity,
    SensitivityCreate,
)

__all__ = ["EstimateController", "SensitivityController"]

MAX_RATE = 1e9  # as the rates themselves (api.schemas.Rate)


class EstimateController(Controller):
    path = "/api/estimates"
    tags = ["planning"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post(
        "/",
        operation_id="CreateEstimate",
        status_code=200,
        sync_to_thread=True,
        description="Fit a domain's rates (euro per unit) to a year's imported spending per "
        "district by non-negative least squares, with bootstrap intervals, the fit per area "
        "and per district. Nothing is stored.",
        **access(PLAN, errors=[422]),
    )
    def create(
        self, request: Request[Any, Any, Any], session: DbSession, data: RequestBody[EstimateCreate]
    ) -> Estimate:
        config = load_config(request.app.state.settings.config_dir)
        spend = service.spend_per_district(session, data.year, data.domain, data.municipality)
        report = service.estimate(
            session,
            config,
            spend.cents,
            domain=data.domain,
            municipality=data.municipality,
            indicators=data.indicators,
            draws=data.draws,
            seed=data.seed,
            level=data.level,
            source=f"spending {data.year}",
            without_district_cents=spend.without_district_cents,
        )
        return msgspec.convert(report.as_json(), Estimate)


def _intervals(estimate: EstimateIntervals) -> service.RateInterval:
    rows = estimate.indicators
    bad = [
        {"field": f"estimate.indicators[{i}].{name}", "value": value}
        for i, r in enumerate(rows)
        for name, value in (("ci_low", r.ci_low), ("ci_high", r.ci_high))
        if value is not None and not 0 <= value <= MAX_RATE
    ]
    if bad:
        raise DataError(
            f"an interval bound must lie between 0 and {MAX_RATE:g} euro per unit: "
            + ", ".join(str(b["field"]) for b in bad),
            details=bad,
        )
    return service.RateInterval(
        domain=estimate.domain,
        municipality=estimate.municipality,
        indicators=[r.indicator for r in rows],
        rates=[r.rate for r in rows],
        low=[r.rate if r.ci_low is None else r.ci_low for r in rows],
        high=[r.rate if r.ci_high is None else r.ci_high for r in rows],
        source=estimate.source,
    )


class SensitivityController(Controller):
    path = "/api/sensitivity"
    tags = ["planning"]  # noqa: RUF012

    @post(
        "/",
        operation_id="CreateSensitivity",
        status_code=200,
        sync_to_thread=True,
        description="Recompute a stored run with each rate, and each area's count of each "
        "indicator, `step` higher; with an estimate (the response of POST /api/estimates), "
        "also each area's lowest and highest amount over its rate intervals. Nothing is stored.",
        **access(PLAN, errors=[422]),
    )
    def create(self, session: DbSession, data: RequestBody[SensitivityCreate]) -> Sensitivity:
        estimate = _intervals(data.estimate) if data.estimate is not None else None
        report = service.sensitivity(session, data.run_id, step=data.step, estimate=estimate)
        return msgspec.convert(report.as_json(), Sensitivity)
