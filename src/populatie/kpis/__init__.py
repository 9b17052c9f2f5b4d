"""Steering on results: the KPI register, imported aggregated figures, views and signals.

``register``     the KPIs of ``config/kpis.toml``, validated
``parsing``      a figures file (CSV or XLSX) read and checked whole, without I/O
``models``       the imported files and their figures
``service``      the atomic, idempotent import
``signals``      two consecutive periods outside the norm, pure
``views``        KPIs against norms with their trend, signals, the funnel plot, providers
                 against their past and peers, the CSV export; suppressed for a consortium
``schemas``      what the routes answer
``controllers``  ``/api/kpis/…``; ``pages`` and ``chart``: the page ``/kpis``
``cli``          ``populatie kpis …`` and ``populatie demo-kpis``; ``demo``: illustrative figures

The funnel plot's limits are pure core: :mod:`populatie.core.funnel`.
"""
