"""The world the page tests start from: the API tests' world plus contracts and spending.

The real shipped data (districts, registry), an adopted 2025 run and a draft 2026 run, a token
for each role and for each Den Haag partnership (:mod:`tests.integration.api_support`), and on
top of that the demo contracts and a synthetic spending file for 2025 imported, as ``make run``
does, so that the reconciliation has lines and exceptions of every partnership.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from populatie.db import session_scope
from populatie.spending.demo import register_demo_contracts, write_demo_spending
from populatie.spending.service import import_spending
from tests.integration.api_support import AREAS_OF, KRACHT, RONDOMJOU, World, build_world

__all__ = ["AREAS_OF", "FOREIGN", "KRACHT", "RONDOMJOU", "build_web_world"]

SPENDING_ROWS = 3000


def build_web_world(engine: Engine, folder: Path) -> World:
    world = build_world(engine)
    with session_scope(engine) as session:
        register_demo_contracts(session, 2025, "test")
    with session_scope(engine) as session:
        out = folder / "demo-spending-2025.csv"
        write_demo_spending(session, 2025, SPENDING_ROWS, 2025, out)
    import_spending(engine, out, user="test")
    return world


def _area_names() -> dict[str, str]:
    from populatie.configuration import load_config
    from tests.integration.api_support import CONFIG

    return {a.code: a.name for a in load_config(CONFIG).areas}


def foreign_markers(partnership: str) -> list[str]:
    """What must never appear on a page of ``partnership``: the other partnership's name, its
    area codes and area names, and its lead member."""
    other = RONDOMJOU if partnership == KRACHT else KRACHT
    names = _area_names()
    lead = {KRACHT: "Incluzio", RONDOMJOU: "Jeugdformaat"}[other]
    return [other, lead, *AREAS_OF[other], *(names[c] for c in AREAS_OF[other])]


FOREIGN = {p: foreign_markers(p) for p in (KRACHT, RONDOMJOU)}
