"""Council reports (raadsrapportage): frozen snapshots of adopted runs, reconciliation and
KPIs per municipality and period, reproducible byte for byte as PDF and XLSX.

``models``       the stored snapshot and its content hash
``snapshot``     what goes into a snapshot, its canonical JSON and hash
``service``      create (atomic, audited, idempotent), list, read, export
``render``       the Dutch HTML (printed to PDF) and workbook, from the snapshot alone
``controllers``  ``/api/council-reports…``; ``cli``: ``populatie council-report …``
"""
