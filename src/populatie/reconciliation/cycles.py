"""Building a report of tens of thousands of findings without the cycle collector's walks.

Each finding is a handful of new dicts and tuples (its facts, its evidence rows), none of which
refer back to another. CPython's cycle collector still runs every few hundred new containers,
walking the young ones, and now and then the whole heap: for a year with many repeated invoices
that walking cost as much as building the findings. While a report is built it is held back;
whatever cycles are made meanwhile are collected as soon as it runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["without_cycle_collection"]


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Hold back the cycle collector; turn it back on after only if it was on before (so two
    threads building reports at once leave it as they found it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
