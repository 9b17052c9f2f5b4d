"""Steering on results: the KPI register, imported aggregated figures, views and signals.

``register``  the KPIs of ``config/kpis.toml``, validated
``parsing``   an aggregated-figures file (CSV or XLSX) read and checked whole, without I/O
``models``    the imported files and their figures
``service``   the atomic, idempotent import
``views``     KPIs against norms with their trend, signals, the funnel plot, provider views,
              all suppressed (counts under 10) for a consortium
``signals``   two consecutive periods outside the norm, pure
"""
