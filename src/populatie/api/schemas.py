"""The public shapes of the API: what handlers return and accept, never table rows.

Amounts are integer cents (``*_cents``); codes are the official values (``GM0518``,
``WK051801``); areas are addressed by their ``code``. Every list is a page:
``{"items": [...], "total": N}``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

Domain = Literal["prevention", "access", "specialist"]
MunicipalityCode = Annotated[str, Meta(pattern=r"^GM\d{4}$", examples=["GM0518"])]


class Municipality(Struct, kw_only=True):
    code: str
    name: str
    areas: list[str]


class MunicipalityPage(Struct, kw_only=True):
    items: list[Municipality]
    total: int


class District(Struct, kw_only=True):
    code: str
    name: str
    municipality: str
    area: str | None
    vintage: int
    shape_vintage: int | None


class DistrictPage(Struct, kw_only=True):
    items: list[District]
    total: int


class DistrictProperties(Struct, kw_only=True):
    code: str
    name: str
    municipality: str
    area: str | None
    shape_vintage: int


class DistrictFeature(Struct, kw_only=True):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any]
    properties: DistrictProperties


class DistrictFeatureCollection(Struct, kw_only=True):
    """District boundaries in WGS84 (EPSG:4326), each of the newest vintage shipped."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[DistrictFeature]
    attribution: str = "Bron: CBS (CC BY 4.0)"


class Area(Struct, kw_only=True):
    code: str
    name: str
    municipality: str
    partnership: str | None
    districts: list[str]
    assumption: str


class AreaPage(Struct, kw_only=True):
    items: list[Area]
    total: int


class Partnership(Struct, kw_only=True):
    name: str
    lead_member: str
    members: list[str]
    subcontractors: list[str]
    areas: list[str]


class PartnershipPage(Struct, kw_only=True):
    items: list[Partnership]
    total: int


class Lot(Struct, kw_only=True):
    """``reference`` (``GM0518/1``) is how contracts, spending files and ``/api/lots/{lot}``
    name the lot; ``id`` is the database's number for it, still accepted there."""

    id: int
    reference: str
    municipality: str
    number: int
    area: str
    partnership: str
    domains: list[str]
    awarded_on: str | None


class LotPage(Struct, kw_only=True):
    items: list[Lot]
    total: int


class AreaBudget(Struct, kw_only=True):
    """The adopted allocation of one area for one year, per domain."""

    area: str
    name: str
    municipality: str
    partnership: str | None
    year: int
    run_id: str
    domains: dict[str, int]
    total_cents: int
    adopted_at: datetime
    adopted_by: str


class AreaBudgetPage(Struct, kw_only=True):
    items: list[AreaBudget]
    total: int


class RunSummary(Struct, kw_only=True):
    """``adopted_for``: the municipalities the run is in force for; ``superseded_for``: those
    where another run was adopted after it (adoption is per municipality-year)."""

    run_id: str
    year: int
    status: Literal["draft", "adopted", "superseded"]
    scenario: str
    municipalities: list[str]
    adopted_for: list[str]
    superseded_for: list[str]
    created_at: datetime
    created_by: str
    adopted_at: datetime | None


class RunSummaryPage(Struct, kw_only=True):
    items: list[RunSummary]
    total: int


class RunArea(Struct, kw_only=True):
    code: str
    area: str
    municipality: str
    partnership: str | None
    domains: dict[str, int]
    total_cents: int
    young_population: int | None
    young_population_derived: bool
    damped: bool


class Run(Struct, kw_only=True):
    """The stable run JSON (the same as ``populatie show --format json``)."""

    run_id: str
    year: int
    status: Literal["draft", "adopted", "superseded"]
    areas: list[RunArea]
    budget_cents: dict[str, dict[str, int]]


class AreaComparison(Struct, kw_only=True):
    """One area in two runs; ``change_cents`` is other − base, per domain."""

    code: str
    name: str
    municipality: str
    partnership: str | None
    base_cents: dict[str, int] | None
    other_cents: dict[str, int] | None
    change_cents: dict[str, int] | None
    total_change_cents: int | None


class RunComparison(Struct, kw_only=True):
    base_run_id: str
    other_run_id: str
    base_year: int
    other_year: int
    areas: list[AreaComparison]


class DampingOverride(Struct, kw_only=True, forbid_unknown_fields=True):
    """Replaces the configured damping bounds; null means no such bound."""

    max_change_pct: Annotated[float, Meta(ge=0, le=1000)] | None = None
    max_change_per_young_eur: Annotated[float, Meta(ge=0, le=1_000_000)] | None = None


Rate = Annotated[float, Meta(ge=0, le=1_000_000_000, description="euro per unit")]
IndicatorName = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


TotalCents = Annotated[int, Meta(ge=0, le=10**14, description="A domain total in cents")]


class BudgetTotalsOverride(Struct, kw_only=True, forbid_unknown_fields=True):
    """A municipality's three domain totals for a scenario run (all three, in cents)."""

    prevention_cents: TotalCents
    access_cents: TotalCents
    specialist_cents: TotalCents


class Scenario(Struct, kw_only=True, forbid_unknown_fields=True):
    """Overrides laid over ``config/`` for one run; the configuration itself is untouched.

    ``rates``: model name → domain → indicator → euro per unit, each replacing one rate;
    ``base_cents``: per domain, the fixed amount per area; ``damping``: replaces the bounds;
    ``budget_totals``: per municipality, the totals the run divides instead of the stored ones
    (for this run only; the stored totals are untouched).
    """

    name: Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$")] = "api"
    rates: dict[str, dict[Domain, dict[IndicatorName, Rate]]] = msgspec.field(default_factory=dict)
    base_cents: dict[Domain, Annotated[int, Meta(ge=0, le=10**13)]] = msgspec.field(
        default_factory=dict
    )
    damping: DampingOverride | None = None
    budget_totals: dict[str, BudgetTotalsOverride] = msgspec.field(default_factory=dict)


Municipalities = Annotated[
    list[MunicipalityCode],
    Meta(
        min_length=1,
        max_length=50,
        description="The municipalities to allocate, each once (absent: all of them)",
        extra_json_schema={"uniqueItems": True},
    ),
]


class RunCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    year: Annotated[int, Meta(ge=1900, le=2200)]
    municipalities: Municipalities | None = None
    scenario: Scenario | None = None


class AuditEntry(Struct, kw_only=True):
    id: int
    at: datetime
    actor: str
    role: str
    partnership: str | None
    action: str
    target: str
    detail: dict[str, Any]


class AuditPage(Struct, kw_only=True):
    items: list[AuditEntry]
    total: int


class Health(Struct, kw_only=True):
    status: str
    version: str


class ContractMilestone(Struct, kw_only=True):
    """A go/no-go moment or an option to extend that applies to the contract's period
    (config/milestones.toml, with its source document)."""

    kind: Literal["go-no-go", "extension-option"]
    year: int
    extends_to: int | None
    name_nl: str
    description: str
    description_nl: str
    source: str


class Contract(Struct, kw_only=True):
    reference: str
    lot: str
    municipality: str
    area: str
    partnership: str
    partnership_from: date | None = None
    starts_on: date
    ends_on: date
    extendable_to: date | None
    funding_form: str
    ceilings_cents: dict[str, int]
    indexation_basis_points: int
    segment: str | None = None
    product_codes: list[str] = []
    municipalities: list[str] = []
    start_percent: int | None = None
    completion_percent: int | None = None
    instalments: str | None = None
    version: int
    milestones: list[ContractMilestone] = []


class ContractPage(Struct, kw_only=True):
    items: list[Contract]
    total: int


ContractReference = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$",
        description="Letters, digits and . _ / - (at most 64)",
        examples=["H10-2024-DH-P1"],
    ),
]
LotReference = Annotated[
    str,
    Meta(pattern=r"^GM\d{4}/\d{1,3}$", description="municipality/number", examples=["GM0518/1"]),
]
FundingForm = Literal[
    "population-based",
    "task-based",
    "output-based-trajectory",
    "output-based-month",
    "effort-based",
]
CeilingYear = Annotated[str, Meta(pattern=r"^20\d\d$", examples=["2025"])]
Ceilings = Annotated[
    dict[CeilingYear, Annotated[int, Meta(ge=0, le=10**14)]],
    Meta(max_length=100, description="Ceiling per budget year, in cents"),
]
IndexationBasisPoints = Annotated[
    int, Meta(gt=-10_000, le=10_000, description="Yearly indexation in 1/100 %: 250 = 2.5 %")
]
PartnershipName = Annotated[str, Meta(min_length=1, max_length=200)]
SegmentCode = Annotated[str, Meta(min_length=1, max_length=40, examples=["B"])]
ProductCode = Annotated[
    str,
    Meta(
        pattern=r"^\d{2}[0-9A-Z]{3}$",
        description="iJw product category (2 digits) and product (3 positions)",
        examples=["45A12"],
    ),
]
ProductCodes = Annotated[list[ProductCode], Meta(max_length=500)]
MunicipalityCodes = Annotated[list[MunicipalityCode], Meta(max_length=100)]
StartPercent = Annotated[
    int,
    Meta(ge=0, le=100, description="Per trajectory: % paid at the start; the rest at completion"),
]
Instalments = Literal["monthly", "quarterly"]
Unit = Literal["hour", "day", "week", "month", "trajectory", "minute", "piece"]
Reason = Annotated[str, Meta(min_length=1, max_length=500, description="Why (kept in the history)")]


class ContractCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    reference: ContractReference
    lot: LotReference
    starts_on: date
    ends_on: date
    funding_form: FundingForm
    partnership: PartnershipName | None = None
    extendable_to: date | None = None
    ceilings_cents: Ceilings = {}
    indexation_basis_points: IndexationBasisPoints = 0
    segment: SegmentCode | None = None
    product_codes: ProductCodes = []
    municipalities: MunicipalityCodes = []
    start_percent: StartPercent | None = None
    instalments: Instalments | None = None
    reason: Reason = "registered"


class ContractUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    """The fields to change (absent: unchanged); ``ceilings_cents`` sets the years it names."""

    reason: Reason
    lot: LotReference | None = None
    partnership: PartnershipName | None = None
    partnership_from: Annotated[
        date | None,
        Meta(
            description="With a new partnership: the first day it holds the contract (the "
            "first of a month); spending booked before stays with the partnership before"
        ),
    ] = None
    starts_on: date | None = None
    ends_on: date | None = None
    extendable_to: date | None = None
    funding_form: FundingForm | None = None
    ceilings_cents: Ceilings | None = None
    indexation_basis_points: IndexationBasisPoints | None = None
    segment: SegmentCode | None = None
    product_codes: ProductCodes | None = None
    municipalities: MunicipalityCodes | None = None
    start_percent: StartPercent | None = None
    instalments: Instalments | None = None


class TariffSet(Struct, kw_only=True, forbid_unknown_fields=True):
    """One tariff to set: its next version, with the reason."""

    product_code: ProductCode
    year: Annotated[int, Meta(ge=2000, le=2099)]
    unit: Unit
    tariff_cents: Annotated[int, Meta(ge=0, le=100_000_000, description="Cents per unit")]
    reason: Reason


class Tariff(Struct, kw_only=True):
    contract: str
    product_code: str
    year: int
    unit: str
    tariff_cents: int
    version: int
    recorded_at: datetime
    recorded_by: str
    reason: str


class TariffPage(Struct, kw_only=True):
    contract: str
    items: list[Tariff]
    total: int


class ContractVersion(Struct, kw_only=True):
    version: int
    changed_at: datetime
    changed_by: str
    reason: str
    changes: dict[str, Any]
    state: dict[str, Any]


class ContractHistory(Struct, kw_only=True):
    reference: str
    items: list[ContractVersion]
    total: int


class SpendingRow(Struct, kw_only=True):
    id: int
    booked_on: date
    municipality: str
    district: str | None
    reference: str
    domain: str
    provider: str
    amount_cents: int
    invoice_reference: str
    description: str
    import_id: int
    line: int


class SpendingPage(Struct, kw_only=True):
    items: list[SpendingRow]
    total: int
    amount_cents: int


class SpendingImport(Struct, kw_only=True):
    """The outcome of an upload; ``imported`` is false when the same file was imported before
    (nothing written then)."""

    imported: bool
    import_id: int
    content_hash: str
    file_name: str
    rows: int
    amount_cents: int
    first_booked_on: date
    last_booked_on: date
    months: int
    duplicates: int


class ReconciliationLine(Struct, kw_only=True):
    contract: str | None
    lot: str | None
    area: str | None
    municipality: str
    partnership: str | None
    domain: str
    allocated_cents: int | None
    ceiling_cents: int | None
    spent_cents: int
    forecast_cents: int
    remaining_cents: int | None
    variance_cents: int | None
    status: str
    months_in_force: int
    months_elapsed: int
    segment: str | None = None
    funding_form: str | None = None
    forecast_method: str = "run-rate"


class ReconciliationException(Struct, kw_only=True):
    key: Annotated[
        str,
        Meta(
            description="Stable identity (kind, subject, year): the same in every run of the "
            "year's reconciliation, for marking it handled"
        ),
    ]
    kind: str
    description: str
    subject: str
    amount_cents: int
    rows: int
    detail: str
    evidence: list[dict[str, Any]]
    partnership: Annotated[
        str | None,
        Meta(description="The partnership whose rows or contract it is about; null: finance's"),
    ] = None


class ExceptionHandlingCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    note: Annotated[str, Meta(min_length=1, max_length=2000, description="How it was handled")]


class ExceptionHandling(Struct, kw_only=True):
    """Finance's mark on an exception; it stays when the reconciliation runs again."""

    key: str
    year: int
    kind: str
    subject: str
    note: str
    handled_at: datetime
    handled_by: str


class Reconciliation(Struct, kw_only=True):
    """The same content as ``populatie reconcile --format json``."""

    year: int
    to: str
    forecast_method: str
    lines: list[ReconciliationLine]
    exception_counts: dict[str, int]
    exceptions: list[ReconciliationException]
    notes: list[str]
