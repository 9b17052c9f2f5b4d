"""Steering on results: the KPI register, imported aggregated figures, views and signals.

``register``     the KPIs of ``config/kpis.toml``, validated
``parsing``      a figures file (CSV or XLSX) read and checked whole, without I/O
``models``       the imported files, their figures, and the provider cells added up from them
``service``      the atomic, idempotent import
``provider_cells`` the provider cells recomputed from the figures, in the import's transaction
``signals``      two consecutive periods outside the norm, pure
``views``        the views, gathered from ``overview`` (KPIs against norms with their trend and
                 signals), ``funnel`` (the funnel plot), ``providers`` (providers against their
                 past and peers) and ``export`` (the CSV export); ``sums``: figures added up and
                 the suppression of small counts for a consortium
``schemas``      what the routes answer
``controllers``  ``/api/kpis/…``; ``pages`` and ``chart``: the page ``/kpis``
``cli``          ``populatie kpis …`` and ``populatie demo-kpis``; ``demo``: illustrative figures

The funnel plot's limits are pure core: :mod:`populatie.core.funnel`.
"""
