"""Planner tools: estimated rates with their uncertainty, sensitivity, and waterfalls.

The arithmetic is in :mod:`populatie.core` (``estimation``, ``sensitivity``, ``waterfall``);
this package gathers its inputs from the database (spending, stored runs with the counts they
were computed from, the figures of the data load of record for estimates) and renders the
results for the command line. A run is rebuilt from its own counts, so one computed before a
newer data load can still be explained and compared (:mod:`populatie.planning.inputs`).
"""
