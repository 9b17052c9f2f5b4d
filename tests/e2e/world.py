"""The world the page tests start from: the API tests' world plus contracts and spending.

The real shipped data (districts, registry), an adopted 2025 run and a draft 2026 run, a token
for each role and for each Den Haag partnership (:mod:`tests.integration.api_support`), and on
top of that the demo contracts and a synthetic spending file for 2025 imported, as ``make run``
does, so that the reconciliation has lines and exceptions of every partnership, and the
illustrative KPI figures of ``populatie demo-kpis``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from populatie.core.reconciliation import owner_on
from populatie.db import session_scope
from populatie.kpis.demo import write_demo_figures
from populatie.kpis.service import import_figures, register_of
from populatie.reconciliation.service import spending_owners
from populatie.spending.demo import register_demo_contracts, write_demo_spending
from populatie.spending.models import Spending, SpendingDuplicate
from populatie.spending.service import import_spending
from tests.conftest import ROOT
from tests.integration.api_support import (
    AREAS_OF,
    CONTRACT_OF,
    KRACHT,
    RONDOMJOU,
    World,
    build_world,
)

__all__ = [
    "AREAS_OF",
    "FOREIGN",
    "KRACHT",
    "RONDOMJOU",
    "build_web_world",
    "duplicate_invoices",
    "foreign_markers",
]

SPENDING_ROWS = 3000
JEUGDFORMAAT = "Stichting Jeugdformaat"
# invoice references of a row and its repeat, on each partnership's own contract
PLANTED_DUPLICATES = {
    KRACHT: ("PAGE-DUP-A1", "PAGE-DUP-A2"),
    RONDOMJOU: ("PAGE-DUP-B1", "PAGE-DUP-B2"),
}


def build_web_world(engine: Engine, folder: Path) -> World:
    world = build_world(engine)
    with session_scope(engine) as session:
        register_demo_contracts(session, 2025, "test")
    with session_scope(engine) as session:
        out = folder / "demo-spending-2025.csv"
        write_demo_spending(session, 2025, SPENDING_ROWS, 2025, out)
    import_spending(engine, out, user="test")
    # One duplicate invoice on each partnership's own contract, so that a page showing the
    # other's would be caught (see :func:`foreign_markers`).
    planted = folder / "duplicates-2025.csv"
    lines = [
        "booking_date,municipality,district,reference,domain,provider,amount,"
        "invoice_reference,description"
    ]
    for partnership, lead in ((KRACHT, "Incluzio Randstad B.V."), (RONDOMJOU, JEUGDFORMAAT)):
        for invoice in PLANTED_DUPLICATES[partnership]:
            lines.append(
                f"2025-03-10,GM0518,,{CONTRACT_OF[partnership]},specialist,{lead},4321.00,"
                f"{invoice},repeated invoice"
            )
    planted.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_spending(engine, planted, user="test").duplicates == 2
    # Illustrative KPI figures, as `make demo` imports them, so /kpis has tables and a chart.
    register = register_of(ROOT / "config")
    figures = folder / "demo-kpis-2025.csv"
    with session_scope(engine) as session:
        write_demo_figures(session, register, 2025, 2025, figures)
    import_figures(engine, figures.read_bytes(), figures.name, register, actor="test", role="cli")
    return world


def _area_names() -> dict[str, str]:
    from populatie.configuration import load_config
    from tests.integration.api_support import CONFIG

    return {a.code: a.name for a in load_config(CONFIG).areas}


def duplicate_invoices(engine: Engine, partnership: str) -> list[str]:
    """The invoice references of the duplicate invoices on ``partnership``'s own rows (the
    repeat and the row it repeats): what its page may show, and no other page."""
    copy, original = aliased(Spending), aliased(Spending)
    with Session(engine) as session:
        owners = spending_owners(session)
        rows = session.execute(
            select(
                col(copy.invoice_reference),
                col(original.invoice_reference),
                col(copy.reference),
                col(copy.booked_on),
            )
            .select_from(SpendingDuplicate)
            .join(copy, col(copy.id) == col(SpendingDuplicate.spending_id))
            .join(original, col(original.id) == col(SpendingDuplicate.original_id))
        ).all()
    return sorted(
        str(invoice)
        for repeat, first, reference, booked_on in rows
        if owner_on(owners, reference, booked_on) == partnership
        for invoice in (repeat, first)
    )


def foreign_markers(partnership: str, engine: Engine | None = None) -> list[str]:
    """What must never appear on a page of ``partnership``: the other partnership's name, its
    area codes and area names, its lead member, and (given the world's ``engine``) the invoice
    references of the other's duplicate invoices."""
    other = RONDOMJOU if partnership == KRACHT else KRACHT
    names = _area_names()
    lead = {KRACHT: "Incluzio", RONDOMJOU: "Jeugdformaat"}[other]
    invoices = duplicate_invoices(engine, other) if engine is not None else []
    return [other, lead, *AREAS_OF[other], *(names[c] for c in AREAS_OF[other]), *invoices]


FOREIGN = {p: foreign_markers(p) for p in (KRACHT, RONDOMJOU)}
