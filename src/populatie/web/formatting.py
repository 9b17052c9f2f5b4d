"""Numbers, amounts and dates the Dutch way, for the pages.

Amounts come from :func:`populatie.core.money.format_euro` (``€ 1.234.567,89``) with the space
after the euro sign made non-breaking, so an amount never wraps in a table cell. Percentages
and counts use a decimal comma and thousands dots, as Dutch readers expect.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from populatie.core.money import format_euro

__all__ = [
    "DOMAIN_LABELS",
    "EXCEPTION_LABELS",
    "FUNDING_FORM_LABELS",
    "MONTHS",
    "MONTHS_SHORT",
    "ROLE_LABELS",
    "SCENARIO_DEFAULT",
    "STATUS_LABELS",
    "STATUS_TONES",
    "assumption_words",
    "count",
    "damping_words",
    "date_time",
    "euro",
    "euro_compact",
    "euro_whole",
    "percent",
    "remaining",
    "scenario_name",
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
    "no spending": "geen uitgaven ontvangen",
    "forecast over allocation": "prognose boven budget",
    "over allocation": "boven budget",
    "forecast over ceiling": "prognose boven plafond",
    "over ceiling": "boven plafond",
    "no allocation": "geen budget vastgesteld",
}

# The NL Design System status badge each status wears (``utrecht-status-badge--<tone>``).
STATUS_TONES = {
    "on track": "success",
    "no spending": "neutral",
    "forecast over allocation": "warning",
    "forecast over ceiling": "warning",
    "over allocation": "danger",
    "over ceiling": "danger",
    "no allocation": "inactive",
}

#: A run made from ``config/`` alone carries this scenario name; it is no scenario at all.
SCENARIO_DEFAULT = "config"

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
    "tariff-mismatch": "Bedrag wijkt af van aantal × tarief",
    "product-not-contracted": "Product valt niet onder het contract",
    "segment-not-contracted": "Segment valt niet onder het contract",
    "instalment-off-schedule": "Termijnbetaling wijkt af van het schema",
    "paid-after-dropout": "Betaald na uitval",
}

#: The funding forms (bekostigingsvormen) in Dutch.
FUNDING_FORM_LABELS = {
    "population-based": "populatiegebonden",
    "task-based": "taakgericht",
    "output-based-trajectory": "output per traject",
    "output-based-month": "output per maand",
    "effort-based": "inspanningsgericht (P×Q)",
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


def remaining(cents: int | None) -> str:
    """What is left of a budget or ceiling; an overrun is said in words, never as a negative
    amount a reader might take for a typing error: ``overschreden met € 1.234,56``."""
    if cents is None:
        return "—"
    if cents < 0:
        return f"overschreden met {euro(-cents)}"
    return euro(cents)


def scenario_name(scenario: str) -> str:
    """A run's scenario for people: the configuration's own settings are not a scenario name."""
    return "standaardinstellingen" if scenario == SCENARIO_DEFAULT else f"scenario {scenario}"


def _number(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return count(value, 0 if float(value).is_integer() else 1)


def _damping_rule(rule: str, damping: Mapping[str, object]) -> str:
    """One rule of a damping label (``pct_band:upper``) in words, with its value when the run's
    settings give it."""
    name, _, side = rule.partition(":")
    sign = "−" if side == "lower" else "+"
    if name == "pct_band":
        pct = _number(damping.get("max_change_pct"))
        return f"begrensd: max. {sign}{pct}{NBSP}%" if pct else f"begrensd: max. {_SIDE[side]}"
    if name == "per_young_cap":
        eur = _number(damping.get("max_change_per_young_eur"))
        return (
            f"begrensd: max. {sign}€{NBSP}{eur} per jeugdige"
            if eur
            else f"begrensd: max. {_SIDE[side]} per jeugdige"
        )
    if name == "min_growth":
        pct = _number(damping.get("min_growth_pct"))
        if pct is None:
            return "ondergrens: minimale groei"
        shown = f"+{pct}" if not pct.startswith("-") else "−" + pct[1:]
        return f"ondergrens: min. {shown}{NBSP}% groei"
    if name == "convergence":
        share = damping.get("convergence_share")
        if isinstance(share, int | float) and not isinstance(share, bool):
            return f"geleidelijk: {percent(100 * share, 0)} van de weg naar het doelbedrag per jaar"
        return "geleidelijk naar het doelbedrag"
    if name in _SIDE:  # the older two-sided band, stored as ``lower``/``upper`` alone
        return f"begrensd: max. {_SIDE[name]}"
    return f"begrensd ({rule})"


_SIDE = {"upper": "stijging", "lower": "daling", "": "verandering"}


def damping_words(label: str, damping: Mapping[str, object] | None = None) -> str:
    """A damping label as stored with a run (``convergence+pct_band:upper``) in Dutch words:
    ``geleidelijk: 33 % van de weg naar het doelbedrag per jaar; begrensd: max. +5 %``.

    ``damping`` is the run's own ``[damping]`` settings (its configuration snapshot), so the
    words give the limit that run used, not today's."""
    rules = damping or {}
    return "; ".join(_damping_rule(part, rules) for part in label.split("+") if part)


# The assumptions ``config/areas.toml`` writes on areas (in English, for the API), in Dutch.
ASSUMPTIONS_NL = {
    "district grouping per lot assumed (not public)": (
        "de indeling van de wijken over de percelen is een aanname (niet openbaar)"
    ),
}


def assumption_words(assumption: str) -> str:
    """An area's assumption for the pages, in Dutch; one not translated yet is still named as
    an assumption rather than shown in English."""
    if not assumption:
        return ""
    return ASSUMPTIONS_NL.get(assumption.strip(), "de indeling van dit gebied is een aanname")
