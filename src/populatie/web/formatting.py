"""Numbers, amounts and dates the Dutch way, for the pages.

Amounts come from :func:`populatie.core.money.format_euro` (``€ 1.234.567,89``) with the space
after the euro sign made non-breaking, so an amount never wraps in a table cell. Percentages
and counts use a decimal comma and thousands dots, as Dutch readers expect.
"""

from __future__ import annotations

from datetime import datetime

from populatie.core.money import format_euro

__all__ = [
    "DOMAIN_LABELS",
    "EXCEPTION_LABELS",
    "MONTHS",
    "MONTHS_SHORT",
    "ROLE_LABELS",
    "STATUS_LABELS",
    "count",
    "date_time",
    "euro",
    "euro_compact",
    "euro_whole",
    "percent",
]

NBSP = "\u00a0"

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
MONTHS_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

DOMAIN_LABELS = {
    "prevention": "Preventie",
    "access": "Toegang en basiszorg",
    "specialist": "Specialistische hulp",
    "total": "Totaal",
}

ROLE_LABELS = {
    "finance": "financiën",
    "planner": "planner",
    "auditor": "auditor (alleen lezen)",
    "consortium": "samenwerkingsverband",
}

# The reconciliation's status codes, in Dutch, with a mark that does not rely on colour.
STATUS_LABELS = {
    "on track": "op koers",
    "forecast over allocation": "prognose boven budget",
    "over allocation": "boven budget",
    "forecast over ceiling": "prognose boven plafond",
    "over ceiling": "boven plafond",
    "no allocation": "geen budget vastgesteld",
}

RUN_STATUS_LABELS = {"draft": "concept", "adopted": "vastgesteld", "superseded": "vervangen"}

EXCEPTION_LABELS = {
    "no-contract": "Uitgaven zonder contract",
    "district-outside-lot": "Wijk buiten het gebied van het perceel",
    "outside-contract-period": "Uitgaven buiten de contractperiode",
    "provider-not-member": "Aanbieder is geen lid van het samenwerkingsverband",
    "domain-not-covered": "Domein valt niet onder het perceel",
    "duplicate-invoice": "Dubbele factuur",
    "over-ceiling": "Uitgaven boven het plafond",
    "allocation-differs": "Budget wijkt af van het contractbedrag",
    "district-not-in-one-area": "Wijk in geen of in meer gebieden",
}


def euro(cents: int | None) -> str:
    """``€ 1.234.567,89`` (non-breaking space); ``—`` for no amount."""
    if cents is None:
        return "—"
    return format_euro(cents).replace(" ", NBSP)


def euro_whole(cents: float | None) -> str:
    """Whole euro, rounded half away from zero: ``€ 1.234.568``."""
    if cents is None:
        return "—"
    whole = int(abs(cents) / 100 + 0.5)
    sign = "-" if cents < 0 and whole else ""
    return f"€{NBSP}{sign}{count(whole)}"


def euro_compact(cents: float) -> str:
    """Short labels for chart axes: ``€ 12,5 mln``, ``€ 850.000``."""
    euros = cents / 100
    if abs(euros) >= 1_000_000:
        millions = euros / 1_000_000
        text = f"{millions:.1f}".rstrip("0").rstrip(".").replace(".", ",")
        return f"€{NBSP}{text}{NBSP}mln"
    return euro_whole(cents)


def count(value: float | None, decimals: int = 0) -> str:
    """``12.345`` or, with decimals, ``12.345,6``."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def percent(value: float | None, decimals: int = 1, *, signed: bool = False) -> str:
    """``12,3 %``; with ``signed`` a plus for growth (``+2,0 %``)."""
    if value is None:
        return "—"
    text = count(value, decimals)
    if signed and value > 0 and text.strip("0,") != "":
        text = "+" + text
    return f"{text}{NBSP}%"


def date_time(moment: datetime) -> str:
    """``23-11-2026 17:51`` (as stored: UTC)."""
    return moment.strftime("%d-%m-%Y %H:%M")
