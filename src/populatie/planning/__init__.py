"""Planner tools: estimated rates with their uncertainty, sensitivity, and waterfalls.

The arithmetic is in :mod:`populatie.core` (``estimation``, ``sensitivity``, ``waterfall``);
this package gathers its inputs from the database (spending, stored runs, the figures of the
data load of record) and renders the results for the command line.
"""
