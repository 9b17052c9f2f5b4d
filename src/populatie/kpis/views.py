"""The KPI views, one module each, gathered here for the routes, the pages and the reports.

``overview``   each KPI per partnership and segment against its norm, its trend and signals
``funnel``     the providers of a segment in one period as a funnel plot
``providers``  each provider against its own past and its peers
``export``     the register as answered, the overview as CSV
``sums``       figures added up, their values, and the suppression of small counts
"""

from __future__ import annotations

from populatie.kpis.export import export_csv, register_view
from populatie.kpis.funnel import FUNNEL_METHOD, funnel_view
from populatie.kpis.overview import overview, signal_list
from populatie.kpis.providers import provider_comparison
from populatie.kpis.sums import SUPPRESS_BELOW

__all__ = [
    "FUNNEL_METHOD",
    "SUPPRESS_BELOW",
    "export_csv",
    "funnel_view",
    "overview",
    "provider_comparison",
    "register_view",
    "signal_list",
]
