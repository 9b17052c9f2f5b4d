"""The reconciliation's findings in Dutch words, for the pages.

The core states every exception twice: an English sentence (``detail``, which the command line,
the API and the exports carry) and the same finding as values (``facts``). The pages are read
by Dutch municipal and care staff, so they say it again from the values, in Dutch, with Dutch
amounts and months. A finding without the values it needs points to the export, which
carries the full sentence, rather than show half a sentence or an English one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date

from populatie.core.reconciliation import Reconciliation, ReconciliationException
from populatie.web.formatting import DOMAIN_LABELS, MONTHS, euro

__all__ = ["WITHOUT_FACTS", "dutch_detail", "dutch_notes", "dutch_subject"]

Facts = Mapping[str, object]


def _domain(code: object) -> str:
    return DOMAIN_LABELS.get(str(code), str(code)).lower()


def _date(value: object) -> str:
    return value.strftime("%d-%m-%Y") if isinstance(value, date) else str(value)


def _month(year: object, month: object) -> str:
    return f"{MONTHS[int(str(month)) - 1]} {year}"


def _months(facts: Facts) -> str:
    months = facts.get("months")
    if not isinstance(months, tuple) or not months:
        return ""
    return "; maanden: " + ", ".join(_month(facts["year"], m) for m in months)


def _items(values: object) -> list[str]:
    return [str(v) for v in values] if isinstance(values, Iterable) else []


def _listed(values: object) -> str:
    items = _items(values)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


def _cents(value: object) -> str:
    return euro(value) if isinstance(value, int) else "—"


def _where(facts: Facts) -> str:
    district = facts.get("district")
    return f"wijk {district}" if district else f"gemeente {facts['municipality']}"


def _district_not_in_one_area(f: Facts) -> str:
    areas = _items(f.get("areas"))
    where = f"in {len(areas)} gebieden ({_listed(areas)})" if areas else "in geen enkel gebied"
    source = " (configuratie)" if f.get("source") == "configuration" else ""
    return f"wijk {f['district']} ({f['municipality']}) ligt {where}{source}{_months(f)}"


def _district_outside_lot(f: Facts) -> str:
    area = f.get("district_area") or "geen gebied"
    return (
        f"{_where(f)} ligt in {area}; perceel {f['lot']} dekt gebied {f['lot_area']} van "
        f"{f['lot_municipality']}{_months(f)}"
    )


def _domain_not_covered(f: Facts) -> str:
    covered = _listed([_domain(d) for d in _items(f.get("lot_domains"))])
    return (
        f"uitgaven voor {_domain(f['domain'])}; perceel {f['lot']} dekt alleen {covered}"
        f"{_months(f)}"
    )


def _no_contract(f: Facts) -> str:
    reason = {
        "lot-without-contract": f"perceel {f.get('lot')} heeft geen lopend contract",
        "unknown-reference": f"geen contract of perceel heeft kenmerk {f.get('reference')}",
        "no-reference": "de regels noemen geen contract",
    }[str(f["cause"])]
    return reason + _months(f)


def _provider_not_member(f: Facts) -> str:
    return (
        f"{f['provider']} is op de boekingsdatum geen lid van {f['partnership']} "
        f"(leden: {_listed(f['members'])}){_months(f)}"
    )


def _outside_contract_period(f: Facts) -> str:
    return f"contractperiode {_date(f['starts_on'])} tot en met {_date(f['ends_on'])}{_months(f)}"


def _over_ceiling(f: Facts) -> str:
    return (
        f"{_cents(f['spent_cents'])} uitgegeven tot en met {_month(f['year'], f['to_month'])} "
        f"tegen een plafond van {_cents(f['ceiling_cents'])} voor {f['year']}; overschreden in "
        f"{_month(f['year'], f['crossed_month'])}"
    )


def _allocation_differs(f: Facts) -> str:
    return (
        f"gebied {f['area']} heeft een budget van {_cents(f['allocated_cents'])} voor "
        f"{f['year']} ({f['months_in_force']} maanden looptijd); het contractbedrag (plafond) "
        f"is {_cents(f['ceiling_cents'])}"
    )


def _duplicate_invoice(f: Facts) -> str:
    parts = [
        str(f["provider"]),
        str(f.get("reference") or "geen kenmerk"),
        _domain(f["domain"]),
        f"wijk {f['district']}" if f.get("district") else "geen wijk",
        _date(f["booked_on"]),
        _cents(f["amount_cents"]),
    ]
    return f"herhaalt factuur {f['original']}: " + ", ".join(parts)


def _quantity(hundredths: object) -> str:
    whole, rest = divmod(int(str(hundredths)), 100)
    return f"{whole}" if not rest else f"{whole},{rest:02d}"


_UNITS_NL = {
    "hour": "uur",
    "day": "dag(en)",
    "week": "week/weken",
    "month": "maand(en)",
    "trajectory": "traject(en)",
    "minute": "minuten",
    "piece": "stuks",
}


def _tariff_mismatch(f: Facts) -> str:
    share = f" × {f['percent']} %" if f.get("percent") != 100 else ""
    return (
        f"{_cents(f['amount_cents'])} geboekt waar {_quantity(f['quantity_hundredths'])} "
        f"{_UNITS_NL.get(str(f['unit']), str(f['unit']))} × {_cents(f['tariff_cents'])}{share} "
        f"{_cents(f['expected_cents'])} is{_months(f)}"
    )


def _product_not_contracted(f: Facts) -> str:
    if f["cause"] == "no-tariff":
        return (
            f"contract {f['contract']} heeft geen tarief voor product {f['product_code']} in "
            f"{f['year']}{_months(f)}"
        )
    return (
        f"product {f['product_code']} valt niet onder contract {f['contract']} (producten: "
        f"{_listed(f['contract_products'])}){_months(f)}"
    )


def _segment_not_contracted(f: Facts) -> str:
    return (
        f"contract {f['contract']} koopt segment {f['contract_segment']} in, niet "
        f"{f['segment']}{_months(f)}"
    )


def _instalment_off_schedule(f: Facts) -> str:
    parts = [
        f"{_month(f['year'], m)}: verschuldigd {_cents(due)}, betaald {_cents(paid)}"
        for m, due, paid in f["off"]  # type: ignore[attr-defined]
    ]
    return f"termijnen van contract {f['contract']} wijken af van het schema: " + "; ".join(parts)


def _paid_after_dropout(f: Facts) -> str:
    start = f"toewijzing {f['assignment']} is uitgevallen op {_date(f['dropout_on'])}; "
    if f.get("completions"):
        return (
            start + f"daarna {f['completions']} betaling(en) bij afronding van "
            f"{_cents(f['completion_cents'])}{_months(f)}"
        )
    return (
        start + f"{_cents(f['excess_cents'])} meer betaald dan het deel bij de start "
        f"({_cents(f['allowed_cents'])}){_months(f)}"
    )


_DETAIL: dict[str, Callable[[Facts], str]] = {
    "district-not-in-one-area": _district_not_in_one_area,
    "district-outside-lot": _district_outside_lot,
    "domain-not-covered": _domain_not_covered,
    "no-contract": _no_contract,
    "provider-not-member": _provider_not_member,
    "outside-contract-period": _outside_contract_period,
    "over-ceiling": _over_ceiling,
    "allocation-differs": _allocation_differs,
    "duplicate-invoice": _duplicate_invoice,
    "tariff-mismatch": _tariff_mismatch,
    "product-not-contracted": _product_not_contracted,
    "segment-not-contracted": _segment_not_contracted,
    "instalment-off-schedule": _instalment_off_schedule,
    "paid-after-dropout": _paid_after_dropout,
}


#: Said when a finding lacks the values to say it in full: the pages show no English.
WITHOUT_FACTS = "de toelichting staat in de export (XLSX of CSV) bij deze signalering"


def dutch_detail(exc: ReconciliationException) -> tuple[str, str]:
    """The finding in Dutch and its language tag ``"nl"``; a finding without the values it
    needs points to the export, which carries the full sentence, rather than show half a
    sentence or an English one."""
    say = _DETAIL.get(exc.kind)
    if say is None or not exc.facts:
        return WITHOUT_FACTS, "nl"
    try:
        return say(exc.facts), "nl"
    except (KeyError, TypeError, ValueError, IndexError):
        return WITHOUT_FACTS, "nl"


# The core's English nouns before a code, for a finding without the values to say it anew.
_SUBJECT_NOUNS = (
    ("no reference", "geen kenmerk"),
    ("reference", "kenmerk"),
    ("district", "wijk"),
    ("invoice", "factuur"),
    ("lot", "perceel"),
    ("municipality", "gemeente"),
    ("contract", "contract"),
)


def _part_words(part: str) -> str:
    if part in DOMAIN_LABELS:
        return _domain(part)
    for english, dutch in _SUBJECT_NOUNS:
        if part.startswith(english + " "):
            return dutch + part[len(english) :]
    return part


def _subject_words(subject: str) -> str:
    return " · ".join(_part_words(part) for part in subject.split(" · "))


def dutch_subject(exc: ReconciliationException) -> str:
    """What the finding is about, in Dutch words around the codes; without the values, the
    core's subject with its noun said in Dutch (``district X`` → ``wijk X``)."""
    try:
        return _subject(exc.kind, exc.facts) if exc.facts else _subject_words(exc.subject)
    except (KeyError, TypeError, ValueError):
        return _subject_words(exc.subject)


def _subject(kind: str, f: Facts) -> str:
    if kind == "district-not-in-one-area":
        return f"wijk {f['district']}"
    if kind == "district-outside-lot":
        return f"perceel {f['lot']} · {_where(f)}"
    if kind == "domain-not-covered":
        return f"perceel {f['lot']} · {_domain(f['domain'])}"
    if kind == "no-contract":
        cause = f.get("cause")
        if cause == "lot-without-contract":
            return f"perceel {f['lot']}"
        if cause == "unknown-reference":
            return f"kenmerk {f['reference']}"
        return f"geen kenmerk ({f['municipality']})"
    if kind == "provider-not-member":
        return f"contract {f['contract']} · {f['provider']}"
    if kind == "duplicate-invoice":
        return f"factuur {f['invoice']}"
    if kind in ("tariff-mismatch", "product-not-contracted"):
        return f"contract {f['contract']} · product {f['product_code']}"
    if kind == "segment-not-contracted":
        return f"contract {f['contract']} · segment {f['segment']}"
    if kind == "paid-after-dropout":
        return f"toewijzing {f['assignment']}"
    return f"contract {f['contract']}"


def dutch_notes(result: Reconciliation) -> list[str]:
    """The reconciliation's notes on what it could not place, in Dutch."""
    notes = []
    if result.unattributed_in:
        notes.append(
            "Uitgaven zonder contract, perceel of bekende wijk, in een gemeente met meer "
            "gebieden, staan per gemeente: " + _listed(result.unattributed_in) + "."
        )
    if result.unallocated_in:
        notes.append(
            f"Geen vastgestelde verdeling voor {result.year} in "
            + _listed(result.unallocated_in)
            + "."
        )
    return notes
