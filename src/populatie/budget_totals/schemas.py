"""The public shapes of the budget totals API: amounts in integer cents, codes as values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from populatie.budget_totals.service import TotalsView

Cents = Annotated[int, Meta(ge=0, le=10**14, description="A domain total in cents")]


class BudgetTotalsUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    """The three domain totals of one municipality-year, and why they change."""

    prevention_cents: Cents
    access_cents: Cents
    specialist_cents: Cents
    reason: Annotated[
        str, Meta(min_length=1, max_length=500, description="Why (kept in the history)")
    ]
    basis: Annotated[
        str, Meta(max_length=500, description="The decision they rest on (optional)")
    ] = ""


class BudgetTotals(Struct, kw_only=True):
    year: int
    municipality: str
    prevention_cents: int
    access_cents: int
    specialist_cents: int
    total_cents: int
    version: int
    source: Annotated[str, Meta(description="set, index (indexation) or seed (config)")]
    changed_at: datetime
    changed_by: str
    reason: str
    basis: str


class BudgetTotalsYear(Struct, kw_only=True):
    year: int
    items: list[BudgetTotals]
    total: int


class BudgetTotalsHistory(Struct, kw_only=True):
    year: int
    municipality: str
    items: list[BudgetTotals]
    total: int


def totals_schema(view: TotalsView) -> BudgetTotals:
    return BudgetTotals(
        year=view.year,
        municipality=view.municipality,
        prevention_cents=view.cents["prevention"],
        access_cents=view.cents["access"],
        specialist_cents=view.cents["specialist"],
        total_cents=sum(view.cents.values()),
        version=view.version,
        source=view.source,
        changed_at=view.changed_at,
        changed_by=view.changed_by,
        reason=view.reason,
        basis=view.basis,
    )
