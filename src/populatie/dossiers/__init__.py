"""The go/no-go dossier of a contract: its spending against the ceiling, its partnership's KPIs
against their norms and its open exceptions, up to one of its milestones, on one page and as
one workbook.

``service``      gathers the dossier from the reconciliation and the KPI views, scoped
``render``       the workbook (Dutch) and the printable page's HTML
``controllers``  ``/api/contract-dossiers/…``; ``pages``: ``/dossier``
"""
