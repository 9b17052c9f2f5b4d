"""Request and response bodies of the planner's API routes (estimation and sensitivity).

The responses are the JSON ``populatie estimate --format json`` and ``populatie sensitivity
--format json`` print, typed for the OpenAPI document. An estimate's response can be passed as
the ``estimate`` of a sensitivity request as it is: the fields sensitivity does not need are
ignored there.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

from populatie.api.schemas import Domain, IndicatorName, MunicipalityCode, Rate

__all__ = [
    "Estimate",
    "EstimateCreate",
    "EstimateIntervals",
    "Sensitivity",
    "SensitivityCreate",
]

Year = Annotated[int, Meta(ge=2000, le=2099, description="The year of the imported spending")]


class EstimateCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    """Fit a domain's rates to the imported spending per district of one year."""

    domain: Domain
    year: Year
    municipality: MunicipalityCode | None = None
    indicators: (
        Annotated[
            list[IndicatorName],
            Meta(
                min_length=1,
                max_length=30,
                description="default: the indicators the model rates in the domain",
            ),
        ]
        | None
    ) = None
    draws: Annotated[int, Meta(ge=0, le=5000, description="bootstrap draws (0: no intervals)")] = (
        1000
    )
    seed: Annotated[int, Meta(ge=0, le=2**32 - 1)] = 1
    level: Annotated[float, Meta(ge=0.5, le=0.999, description="interval level")] = 0.95


class EstimateIndicator(Struct, kw_only=True):
    indicator: str
    rate: float
    ci_low: float | None
    ci_high: float | None
    share: float
    vif: float | None
    collinear: bool


class ExcludedDistrict(Struct, kw_only=True):
    code: str
    reason: str
    spend_cents: int


class UnitFit(Struct, kw_only=True):
    code: str
    spend_cents: int
    fitted_cents: int
    residual_cents: int


class Estimate(Struct, kw_only=True):
    domain: str
    source: str
    municipality: str | None
    model: str
    municipalities: list[str]
    units: int
    r_squared: float | None
    draws: int
    seed: int | None
    level: float
    vif_threshold: float
    without_district_cents: int
    excluded_districts: list[ExcludedDistrict]
    indicators: list[EstimateIndicator]
    areas: list[UnitFit]
    districts: list[UnitFit]


class IntervalIndicator(Struct, kw_only=True):
    """A rate and its interval; an interval bound below 0 is refused (422) by the route, as
    a rate is never negative (absent: the rate itself)."""

    indicator: IndicatorName
    rate: Rate
    ci_low: float | None = None
    ci_high: float | None = None


class EstimateIntervals(Struct, kw_only=True):
    """Rates with their intervals (an :class:`Estimate` as it is, or written by hand)."""

    domain: Domain
    municipality: MunicipalityCode | None = None
    source: Annotated[str, Meta(max_length=200)] = ""
    indicators: Annotated[list[IntervalIndicator], Meta(min_length=1, max_length=50)]


class SensitivityCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    run_id: Annotated[str, Meta(min_length=1, max_length=64)]
    step: Annotated[
        float, Meta(gt=0, le=10, description="how much higher each input is tried (0.1: 10 %)")
    ] = 0.10
    estimate: EstimateIntervals | None = None


class Sensitivity(Struct, kw_only=True):
    """Per municipality of the run: each rate's and each area count's effect, and with an
    estimate each area's range (``populatie sensitivity --format json``)."""

    run_id: str
    year: int
    scenario: str
    step: float
    estimate: str | None
    municipalities: list[dict[str, Any]]
