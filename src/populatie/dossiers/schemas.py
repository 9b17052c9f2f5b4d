"""What the dossier routes answer (JSON in English; amounts in integer cents).

A KPI figure withheld from a consortium as too small has ``suppressed`` true and no value, as
on the KPI routes."""

from __future__ import annotations

from datetime import date

from msgspec import Struct


class DossierContract(Struct, kw_only=True):
    reference: str
    lot: str
    municipality: str
    area: str
    partnership: str
    starts_on: date
    ends_on: date
    extendable_to: date | None
    funding_form: str


class DossierMilestone(Struct, kw_only=True):
    kind: str
    year: int
    name_nl: str
    description: str
    description_nl: str
    source: str


class DossierYear(Struct, kw_only=True):
    """The contract's spending in one year against that year's ceiling (indexed)."""

    year: int
    to: str
    ceiling_cents: int | None
    spent_cents: int
    forecast_cents: int
    remaining_cents: int | None
    status: str


class DossierKpi(Struct, kw_only=True):
    """One KPI of one segment: its newest period up to the milestone, against its norm."""

    segment: str
    kpi: str
    name_nl: str
    unit: str
    direction: str
    category: str
    period: str
    value: float | None
    suppressed: bool
    norm: float | None
    norm_illustrative: bool
    outside_norm: bool | None
    signals: int


class DossierException(Struct, kw_only=True):
    year: int
    kind: str
    description: str
    subject: str
    subject_nl: str
    amount_cents: int
    rows: int
    detail: str
    detail_nl: str


class DossierSummary(Struct, kw_only=True):
    years_over_ceiling: int
    years_forecast_over_ceiling: int
    kpis_outside_norm: int
    kpis_with_signal: int
    open_exceptions: int


class Dossier(Struct, kw_only=True):
    contract: DossierContract
    milestone: DossierMilestone
    milestone_years: list[int]
    segments: list[str]
    segment_basis: str
    years: list[DossierYear]
    kpis: list[DossierKpi]
    exceptions: list[DossierException]
    summary: DossierSummary
    suppressed_below: int | None
