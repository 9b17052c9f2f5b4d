"""What the KPI routes answer (JSON in English). A figure withheld as too small has
``suppressed`` true and no value, numerator or denominator: the numbers are not sent at all."""

from __future__ import annotations

from msgspec import Struct


class Point(Struct, kw_only=True):
    period: str
    value: float | None
    numerator: int | None
    denominator: int | None
    suppressed: bool
    norm: float | None
    norm_illustrative: bool
    outside_norm: bool | None


class Trend(Struct, kw_only=True):
    from_period: str
    to_period: str
    change: float
    better: bool | None


class SignalEvidence(Struct, kw_only=True):
    periods: list[str]
    values: list[float]
    norms: list[float]
    norm_illustrative: bool


class Series(Struct, kw_only=True):
    partnership: str
    segment: str
    kpi: str
    name_nl: str
    unit: str
    direction: str
    category: str
    granularity: str
    points: list[Point]
    trend: Trend | None
    signals: list[SignalEvidence]


class Overview(Struct, kw_only=True):
    partnerships: list[str]
    suppressed_below: int
    series: list[Series]


class SignalItem(Struct, kw_only=True):
    partnership: str
    segment: str
    kpi: str
    name_nl: str
    category: str
    direction: str
    evidence: SignalEvidence


class SignalList(Struct, kw_only=True):
    partnerships: list[str]
    suppressed_below: int
    signals: list[SignalItem]


class FunnelLimits(Struct, kw_only=True):
    cases: int
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


class FunnelProvider(Struct, kw_only=True):
    provider: str
    suppressed: bool
    events: int | None
    cases: int | None
    proportion: float | None
    limits: FunnelLimits | None
    position: str | None


class Funnel(Struct, kw_only=True):
    partnerships: list[str]
    kpi: str
    segment: str
    periods: list[str]
    method: str
    suppressed_below: int
    target: float | None
    providers: list[FunnelProvider]
    curve: list[FunnelLimits]


# A provider view answers thousands of points, each only scalars, so in no reference cycle: not
# tracked by the garbage collector, whose full passes over them were the view's slowest calls.
class ProviderPoint(Struct, kw_only=True, gc=False):
    period: str
    value: float | None
    suppressed: bool
    previous_year: float | None
    peers: float | None


class ProviderSeries(Struct, kw_only=True):
    provider: str
    category: str
    points: list[ProviderPoint]


class ProviderComparison(Struct, kw_only=True):
    partnerships: list[str]
    kpi: str
    segment: str
    unit: str
    suppressed_below: int
    providers: list[ProviderSeries]


class KpiNorm(Struct, kw_only=True):
    segment: str
    year: int
    value: str
    illustrative: bool
    note: str


class KpiDefinition(Struct, kw_only=True):
    code: str
    name_nl: str
    name_en: str
    definition_nl: str
    definition_en: str
    measure: str
    scale: str
    unit: str
    direction: str
    segments: list[str]
    by_category: bool
    goal: int
    source: str
    norms: list[KpiNorm]


class KpiRegister(Struct, kw_only=True):
    items: list[KpiDefinition]
    total: int


class FigureImport(Struct, kw_only=True):
    imported: bool
    import_id: int
    content_hash: str
    file_name: str
    rows: int
